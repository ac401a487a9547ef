//! GraphQL documents as the simulator receives them: parsing with `graphql-parser`, choosing
//! the operation (`operationName`), variables with defaults, fragments (named and inline, with
//! type conditions), aliases, `@include`/`@skip`, and Shopify-shaped error objects.

use std::collections::HashMap;

use graphql_parser::query::{
    Definition, Document, Field, FragmentDefinition, OperationDefinition, Selection, SelectionSet,
    TypeCondition, Value as GValue, VariableDefinition,
};
use serde_json::{Map, Value, json};

use super::schema;

pub type Doc = Document<'static, String>;

/// A GraphQL error as Shopify shapes it: message, locations, path, extensions.
#[derive(Debug, Clone, PartialEq)]
pub struct GqlError {
    pub message: String,
    pub line_col: Option<(usize, usize)>,
    pub path: Vec<Value>,
    pub extensions: Map<String, Value>,
}

impl GqlError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            line_col: None,
            path: Vec::new(),
            extensions: Map::new(),
        }
    }

    pub fn at(mut self, pos: graphql_parser::Pos) -> Self {
        self.line_col = Some((pos.line, pos.column));
        self
    }

    pub fn path(mut self, path: &[Value]) -> Self {
        self.path = path.to_vec();
        self
    }

    pub fn code(mut self, code: &str) -> Self {
        self.extensions.insert("code".into(), json!(code));
        self
    }

    pub fn ext(mut self, k: &str, v: Value) -> Self {
        self.extensions.insert(k.into(), v);
        self
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("message".into(), json!(self.message));
        if let Some((line, column)) = self.line_col {
            m.insert(
                "locations".into(),
                json!([{ "line": line, "column": column }]),
            );
        }
        if !self.path.is_empty() {
            m.insert("path".into(), Value::Array(self.path.clone()));
        }
        if !self.extensions.is_empty() {
            m.insert("extensions".into(), Value::Object(self.extensions.clone()));
        }
        Value::Object(m)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Query,
    Mutation,
}

/// A parsed request, ready to cost and execute.
pub struct Prepared {
    doc: Doc,
    op_index: usize,
    pub kind: OpKind,
    vars: Map<String, Value>,
}

impl Prepared {
    pub fn parse(
        query: &str,
        operation_name: Option<&str>,
        variables: Option<&Value>,
    ) -> Result<Self, GqlError> {
        let doc: Document<'_, String> = graphql_parser::parse_query::<String>(query)
            .map_err(|e| GqlError::new(format!("Parse error: {e}")).code("PARSE_ERROR"))?;
        let doc: Doc = doc.into_static();
        let ops: Vec<(usize, Option<&str>)> = doc
            .definitions
            .iter()
            .enumerate()
            .filter_map(|(i, d)| match d {
                Definition::Operation(op) => Some((i, op_name(op))),
                Definition::Fragment(_) => None,
            })
            .collect();
        let op_index = match operation_name {
            Some(name) => ops
                .iter()
                .find(|(_, n)| *n == Some(name))
                .map(|(i, _)| *i)
                .ok_or_else(|| GqlError::new(format!("No operation named \"{name}\"")))?,
            None if ops.len() == 1 => ops[0].0,
            None if ops.is_empty() => return Err(GqlError::new("No operations in query document")),
            None => {
                return Err(GqlError::new(
                    "An operation name is required when sending multiple operations.",
                ));
            }
        };
        let (kind, defs) = match &doc.definitions[op_index] {
            Definition::Operation(OperationDefinition::Query(q)) => {
                (OpKind::Query, q.variable_definitions.clone())
            }
            Definition::Operation(OperationDefinition::SelectionSet(_)) => (OpKind::Query, vec![]),
            Definition::Operation(OperationDefinition::Mutation(m)) => {
                (OpKind::Mutation, m.variable_definitions.clone())
            }
            _ => return Err(GqlError::new("Subscriptions are not supported")),
        };
        let vars = bind_variables(&defs, variables)?;
        Ok(Self {
            doc,
            op_index,
            kind,
            vars,
        })
    }

    pub fn root_selection(&self) -> &SelectionSet<'static, String> {
        match &self.doc.definitions[self.op_index] {
            Definition::Operation(OperationDefinition::Query(q)) => &q.selection_set,
            Definition::Operation(OperationDefinition::Mutation(m)) => &m.selection_set,
            Definition::Operation(OperationDefinition::SelectionSet(s)) => s,
            Definition::Operation(OperationDefinition::Subscription(s)) => &s.selection_set,
            Definition::Fragment(f) => &f.selection_set,
        }
    }

    pub fn root_type(&self) -> &'static str {
        match self.kind {
            OpKind::Query => "QueryRoot",
            OpKind::Mutation => "Mutation",
        }
    }

    fn fragment(&self, name: &str) -> Option<&FragmentDefinition<'static, String>> {
        self.doc.definitions.iter().find_map(|d| match d {
            Definition::Fragment(f) if f.name == name => Some(f),
            _ => None,
        })
    }

    /// An argument of `field` as JSON, variables substituted; `None` when absent or null.
    pub fn arg(&self, field: &Field<'static, String>, name: &str) -> Option<Value> {
        let v = field
            .arguments
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| self.value(v))?;
        (!v.is_null()).then_some(v)
    }

    pub fn value(&self, v: &GValue<'static, String>) -> Value {
        match v {
            GValue::Variable(name) => self.vars.get(name).cloned().unwrap_or(Value::Null),
            GValue::Int(n) => n.as_i64().map(Value::from).unwrap_or(Value::Null),
            GValue::Float(f) => json!(f),
            GValue::String(s) => Value::String(s.clone()),
            GValue::Boolean(b) => Value::Bool(*b),
            GValue::Null => Value::Null,
            GValue::Enum(e) => Value::String(e.clone()),
            GValue::List(items) => Value::Array(items.iter().map(|i| self.value(i)).collect()),
            GValue::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), self.value(v)))
                    .collect(),
            ),
        }
    }

    fn included(&self, directives: &[graphql_parser::query::Directive<'static, String>]) -> bool {
        for d in directives {
            let cond = d
                .arguments
                .iter()
                .find(|(n, _)| n == "if")
                .map(|(_, v)| self.value(v))
                .and_then(|v| v.as_bool());
            match (d.name.as_str(), cond) {
                ("skip", Some(true)) | ("include", Some(false)) => return false,
                _ => {}
            }
        }
        true
    }

    /// The fields of `sel` that apply to concrete type `ty`, grouped by response key (alias or
    /// name) in document order; same-key fields merge their sub-selections.
    pub fn collect<'d>(
        &'d self,
        sel: &'d SelectionSet<'static, String>,
        ty: &str,
    ) -> Vec<(String, Vec<&'d Field<'static, String>>)> {
        let mut out: Vec<(String, Vec<&'d Field<'static, String>>)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        self.collect_into(sel, ty, &mut out, &mut index, 0);
        out
    }

    /// [`Prepared::collect`] over the merged sub-selections of several same-key fields.
    pub fn collect_fields<'d>(
        &'d self,
        fields: &[&'d Field<'static, String>],
        ty: &str,
    ) -> Vec<(String, Vec<&'d Field<'static, String>>)> {
        let mut out: Vec<(String, Vec<&'d Field<'static, String>>)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for f in fields {
            self.collect_into(&f.selection_set, ty, &mut out, &mut index, 0);
        }
        out
    }

    fn collect_into<'d>(
        &'d self,
        sel: &'d SelectionSet<'static, String>,
        ty: &str,
        out: &mut Vec<(String, Vec<&'d Field<'static, String>>)>,
        index: &mut HashMap<String, usize>,
        depth: usize,
    ) {
        // Fragment cycles are invalid GraphQL; the depth bound keeps a bad document harmless.
        if depth > 32 {
            return;
        }
        for item in &sel.items {
            match item {
                Selection::Field(f) => {
                    if !self.included(&f.directives) {
                        continue;
                    }
                    let key = f.alias.clone().unwrap_or_else(|| f.name.clone());
                    match index.get(&key) {
                        Some(&i) => out[i].1.push(f),
                        None => {
                            index.insert(key.clone(), out.len());
                            out.push((key, vec![f]));
                        }
                    }
                }
                Selection::InlineFragment(frag) => {
                    if !self.included(&frag.directives) {
                        continue;
                    }
                    let applies = match &frag.type_condition {
                        None => true,
                        Some(TypeCondition::On(cond)) => schema::satisfies(ty, cond),
                    };
                    if applies {
                        self.collect_into(&frag.selection_set, ty, out, index, depth + 1);
                    }
                }
                Selection::FragmentSpread(spread) => {
                    if !self.included(&spread.directives) {
                        continue;
                    }
                    if let Some(frag) = self.fragment(&spread.fragment_name) {
                        let TypeCondition::On(cond) = &frag.type_condition;
                        if schema::satisfies(ty, cond) {
                            self.collect_into(&frag.selection_set, ty, out, index, depth + 1);
                        }
                    }
                }
            }
        }
    }

    /// Every fragment spread must name a defined fragment.
    pub fn check_fragments(&self) -> Result<(), GqlError> {
        fn walk(p: &Prepared, sel: &SelectionSet<'static, String>) -> Result<(), GqlError> {
            for item in &sel.items {
                match item {
                    Selection::Field(f) => walk(p, &f.selection_set)?,
                    Selection::InlineFragment(i) => walk(p, &i.selection_set)?,
                    Selection::FragmentSpread(s) => {
                        if p.fragment(&s.fragment_name).is_none() {
                            return Err(GqlError::new(format!(
                                "Fragment {} was used, but not defined",
                                s.fragment_name
                            ))
                            .at(s.position)
                            .code("useAndDefineFragment"));
                        }
                    }
                }
            }
            Ok(())
        }
        for d in &self.doc.definitions {
            match d {
                Definition::Fragment(f) => walk(self, &f.selection_set)?,
                Definition::Operation(_) => {}
            }
        }
        walk(self, self.root_selection())
    }
}

fn op_name<'a>(op: &'a OperationDefinition<'static, String>) -> Option<&'a str> {
    match op {
        OperationDefinition::Query(q) => q.name.as_deref(),
        OperationDefinition::Mutation(m) => m.name.as_deref(),
        OperationDefinition::Subscription(s) => s.name.as_deref(),
        OperationDefinition::SelectionSet(_) => None,
    }
}

fn bind_variables(
    defs: &[VariableDefinition<'static, String>],
    given: Option<&Value>,
) -> Result<Map<String, Value>, GqlError> {
    let given = given.and_then(Value::as_object);
    let mut out = Map::new();
    for d in defs {
        let v = given.and_then(|g| g.get(&d.name)).cloned();
        let v = match v {
            Some(v) => v,
            None => match &d.default_value {
                Some(dv) => const_value(dv),
                None => Value::Null,
            },
        };
        let non_null = matches!(d.var_type, graphql_parser::query::Type::NonNullType(_));
        if non_null && v.is_null() {
            return Err(GqlError::new(format!(
                "Variable ${} of type {} was provided invalid value",
                d.name, d.var_type
            ))
            .at(d.position)
            .code("INVALID_VARIABLE"));
        }
        out.insert(d.name.clone(), v);
    }
    Ok(out)
}

fn const_value(v: &GValue<'static, String>) -> Value {
    match v {
        GValue::Int(n) => n.as_i64().map(Value::from).unwrap_or(Value::Null),
        GValue::Float(f) => json!(f),
        GValue::String(s) | GValue::Enum(s) => Value::String(s.clone()),
        GValue::Boolean(b) => Value::Bool(*b),
        GValue::List(items) => Value::Array(items.iter().map(const_value).collect()),
        GValue::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), const_value(v)))
                .collect(),
        ),
        GValue::Null | GValue::Variable(_) => Value::Null,
    }
}
