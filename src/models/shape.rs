//! A language-neutral view of a call chain, built by front-ends and matched against models.
//! `this.prisma.order.findUnique({ where })` becomes four segments: `this`, `prisma`, `order`,
//! and the call `findUnique(..)`.

use crate::ir::Span;

#[derive(Clone, Debug, Default)]
pub struct Segment {
    pub name: String,
    /// Arguments when this segment is a call.
    pub args: Option<Vec<Arg>>,
    /// Declared type of this receiver when the front-end knows it (`Repository`, `Stripe`).
    pub declared_type: Option<String>,
    /// Resource the receiver is bound to (`@InjectRepository(Order)` -> `Order`).
    pub bound_resource: Option<String>,
    /// The receiver is a variable of the running function (a `Set` it built), so no other
    /// request can see what it holds.
    pub local: bool,
    /// The name is no model class of the project's: imported from a package (`AppendInput`
    /// from `@s2-dev/streamstore`), a runtime global (`Math`), a module constant bound to a
    /// literal (`const PLANS = [..]`).
    pub not_model: bool,
    /// A module or type of a `::` path before the function it leads to (`diesel::dsl` in
    /// `diesel::dsl::exists(..)`): not a value whose method is called.
    pub module: bool,
}

impl Segment {
    pub fn is_call(&self) -> bool {
        self.args.is_some()
    }

    pub fn args(&self) -> &[Arg] {
        self.args.as_deref().unwrap_or(&[])
    }
}

#[derive(Clone, Debug)]
pub struct Arg {
    pub value: ArgValue,
    pub span: Span,
    /// Front-end handle to the syntax node, for follow-up analysis (key sources, callbacks).
    pub node: usize,
}

#[derive(Clone, Debug)]
pub enum ArgValue {
    /// String literal; template literals with holes replaced by `__hole0`, `__hole1`, ...
    Str(String),
    /// Identifier or member path as written: `t`, `Order`, `orders.id`.
    Path(String),
    Object(Vec<(String, Arg)>),
    /// A callback; `param` is its first parameter's name, `text` its source.
    Function {
        param: Option<String>,
        text: String,
    },
    /// `new Class(args)`.
    New {
        class: String,
        args: Vec<Arg>,
    },
    Bool(bool),
    /// Anything else, as written.
    Other(String),
}

impl Arg {
    /// The argument's text when it is a name or a string (`Order`, `'orders'`).
    pub fn as_name(&self) -> Option<&str> {
        match &self.value {
            ArgValue::Str(s) | ArgValue::Path(s) => Some(s),
            _ => None,
        }
    }

    /// The argument as code would name it: a name or string as is, anything else as written
    /// (`cache_dir.join(key)`).
    pub fn source_text(&self) -> String {
        match &self.value {
            ArgValue::Str(s) | ArgValue::Path(s) | ArgValue::Other(s) => s.clone(),
            _ => self.text(),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            ArgValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The fields of an object literal, looking through `new Command({ .. })`.
    pub fn object(&self) -> Option<&[(String, Arg)]> {
        match &self.value {
            ArgValue::Object(fields) => Some(fields),
            ArgValue::New { args, .. } => args.iter().find_map(Arg::object),
            _ => None,
        }
    }

    /// Follows a dotted key path through nested object literals, matching header-style keys
    /// case-insensitively.
    pub fn lookup(&self, path: &str) -> Option<&Arg> {
        let mut current = self;
        for part in path.split('.') {
            let fields = current.object()?;
            current = &fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(part))?.1;
        }
        Some(current)
    }

    /// The value as source text would read for option checks (`'POST'`, `Prisma.Serializable`).
    pub fn text(&self) -> String {
        match &self.value {
            ArgValue::Str(s) | ArgValue::Path(s) | ArgValue::Other(s) => s.clone(),
            ArgValue::Bool(b) => b.to_string(),
            ArgValue::Object(fields) => {
                let inner: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", v.text()))
                    .collect();
                format!("{{ {} }}", inner.join(", "))
            }
            ArgValue::Function { text, .. } => text.clone(),
            ArgValue::New { class, .. } => format!("new {class}"),
        }
    }

    /// Whether an option value turns the option on (`true`, an object, a handle).
    pub fn is_truthy(&self) -> bool {
        match &self.value {
            ArgValue::Bool(b) => *b,
            ArgValue::Other(s) | ArgValue::Path(s) => {
                !matches!(s.as_str(), "false" | "null" | "undefined" | "None")
            }
            _ => true,
        }
    }
}

/// A whole call chain.
#[derive(Clone, Debug, Default)]
pub struct CallShape {
    pub segments: Vec<Segment>,
}

impl CallShape {
    /// Every object-literal argument of every call in the chain.
    pub fn objects(&self) -> impl Iterator<Item = &Arg> {
        self.segments
            .iter()
            .flat_map(|s| s.args())
            .filter(|a| a.object().is_some())
    }

    pub fn calls_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Segment> + 'a {
        self.segments
            .iter()
            .filter(move |s| s.is_call() && s.name == name)
    }

    /// The chain as written, without arguments: `prisma.order.findUnique`.
    pub fn callee(&self) -> String {
        let names: Vec<&str> = self.segments.iter().map(|s| s.name.as_str()).collect();
        names.join(".")
    }
}
