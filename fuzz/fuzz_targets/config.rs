//! Any text as a `toctou.toml`: errors must render, and models that load must drive a scan.
#![no_main]

use libfuzzer_sys::fuzz_target;
use toctou::budget::Deadline;
use std::path::Path;
use toctou::frontend::Grammar;

const HANDLER: &str = "export async function pay(db, stripe, id) {
  const order = await db.order.findUnique({ where: { id } });
  if (order.paid) return;
  await stripe.charges.create({ amount: order.total });
  await db.order.update({ where: { id }, data: { paid: true } });
}
";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match toctou::config::Config::parse(Path::new("toctou.toml"), text.to_string()) {
        Ok(config) => {
            let _ = toctou::check_source(Path::new("pay.ts"), Grammar::TypeScript, HANDLER, &config, budget());
        }
        Err(report) => {
            let mut out = String::new();
            let _ = miette::GraphicalReportHandler::new().render_report(&mut out, report.as_ref());
        }
    }
});

/// As the command line does, a file past its budget is abandoned, so a slow input shows as a
/// note rather than a hang; the budget is kept under libFuzzer's timeout.
fn budget() -> Deadline {
    Deadline::after(std::time::Duration::from_secs(2))
}
