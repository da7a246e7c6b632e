//! Helpers shared by the integration tests; each test crate uses some of them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use toctou::diagnostic::Diagnostic;
use toctou::report::{self, Format, Report};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Renders diagnostics the way the CLI does, reading sources relative to the crate root.
pub fn render(format: Format, diagnostics: &[Diagnostic], files_scanned: usize) -> String {
    let source = |p: &Path| std::fs::read_to_string(root().join(p)).ok();
    let report = Report {
        diagnostics,
        notes: &[],
        files_scanned,
        source: &source,
        color: false,
    };
    report::render(format, &report)
}

/// Runs the built binary in `cwd`, without colours.
pub fn toctou(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_toctou"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("binary runs")
}

/// A handler that checks a coupon, mails the refund notice and only then records it: one
/// `check-then-act` finding (a warning: the act sends a message), at line 8.
pub const RACY: &str = r#"import { PrismaClient } from '@prisma/client';
import nodemailer from 'nodemailer';
const prisma = new PrismaClient();
const mailer = nodemailer.createTransport({ host: 'smtp.example.com' });
export async function redeem(code: string) {
  const coupon = await prisma.coupon.findUnique({ where: { code } });
  if (!coupon || coupon.redeemedAt) throw new Error('used');
  await mailer.sendMail({ to: coupon.owner, subject: 'Your refund is on its way' });
  await prisma.coupon.update({ where: { code }, data: { redeemedAt: new Date() } });
}
"#;
