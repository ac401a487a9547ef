//! Requested query cost, computed before execution from the document alone, as Shopify's
//! calculated query cost documents it: scalars and enums 0, objects 1, connections 2 plus
//! `first`/`last` times the cost of one node (multiplied through nesting), interfaces the
//! maximum over their possible selections, mutations 10. The same walk validates the document
//! (unknown fields, connections without `first`/`last`, page sizes over 250), because Shopify
//! refuses an invalid document before charging for it.

use graphql_parser::query::{Field, SelectionSet};
use serde_json::{Value, json};

use super::gql::{GqlError, OpKind, Prepared};
use super::schema::{self, Ty};

/// Largest `first`/`last` a connection accepts.
pub const MAX_PAGE: i64 = 250;
/// What a mutation field costs before its payload selection.
pub const MUTATION_COST: u64 = 10;

pub fn requested_cost(p: &Prepared) -> Result<u64, Vec<GqlError>> {
    let mut errors = Vec::new();
    let root = p.root_type();
    let mut total = 0;
    let mut path = Vec::new();
    for (key, fields) in p.collect(p.root_selection(), root) {
        path.push(json!(key));
        let c = field_cost(p, root, &fields, &mut path, &mut errors);
        path.pop();
        total += match p.kind {
            // The payload object itself is included in the mutation's flat cost.
            OpKind::Mutation => MUTATION_COST + c.saturating_sub(1),
            OpKind::Query => c,
        };
    }
    if errors.is_empty() {
        Ok(total)
    } else {
        Err(errors)
    }
}

fn field_cost(
    p: &Prepared,
    parent: &str,
    fields: &[&Field<'static, String>],
    path: &mut Vec<Value>,
    errors: &mut Vec<GqlError>,
) -> u64 {
    let f = fields[0];
    let Some(ty) = schema::field(parent, &f.name) else {
        errors.push(
            GqlError::new(format!(
                "Field '{}' doesn't exist on type '{}'",
                f.name, parent
            ))
            .at(f.position)
            .path(path)
            .code("undefinedField")
            .ext("typeName", json!(parent))
            .ext("fieldName", json!(f.name)),
        );
        return 0;
    };
    match ty {
        Ty::Scalar => 0,
        // `nodes(ids:)` returns one object per id, so it is charged per id.
        Ty::List(t) if f.name == "nodes" && parent == "QueryRoot" => {
            let n = p
                .arg(f, "ids")
                .and_then(|v| v.as_array().map(Vec::len))
                .unwrap_or(0) as u64;
            n * (1 + selection_cost(p, t, fields, path, errors))
        }
        Ty::Object(t) | Ty::List(t) => 1 + selection_cost(p, t, fields, path, errors),
        Ty::Connection(node) => {
            // A bad page size is reported, and the selection below is still validated.
            let n = match page_size(p, f) {
                Ok(n) => n,
                Err(msg) => {
                    errors.push(GqlError::new(msg).at(f.position).path(path));
                    0
                }
            };
            let conn = schema::connection_type(node);
            let mut per_node = 0;
            for sub in fields {
                for (key, group) in p.collect(&sub.selection_set, conn) {
                    path.push(json!(key));
                    per_node += match group[0].name.as_str() {
                        "nodes" => 1 + selection_cost(p, node, &group, path, errors),
                        "edges" => {
                            let edge = format!("{node}Edge");
                            let mut c = 0;
                            for e in &group {
                                for (k2, g2) in p.collect(&e.selection_set, &edge) {
                                    path.push(json!(k2));
                                    if g2[0].name == "node" {
                                        c += 1 + selection_cost(p, node, &g2, path, errors);
                                    } else if schema::field(&edge, &g2[0].name).is_none() {
                                        field_cost(p, &edge, &g2, path, errors);
                                    }
                                    path.pop();
                                }
                            }
                            c
                        }
                        _ => {
                            // pageInfo is part of the connection's own 2 points.
                            field_cost(p, conn, &group, path, errors);
                            0
                        }
                    };
                    path.pop();
                }
            }
            2 + n * per_node
        }
    }
}

/// The cost of the merged selections of `fields` on type `ty`; for an interface, the most
/// expensive of its implementations.
fn selection_cost(
    p: &Prepared,
    ty: &str,
    fields: &[&Field<'static, String>],
    path: &mut Vec<Value>,
    errors: &mut Vec<GqlError>,
) -> u64 {
    let concrete: Vec<&str> = if schema::is_abstract(ty) {
        let mut v = vec![ty];
        v.extend(schema::implementations(ty));
        v
    } else {
        vec![ty]
    };
    let mut best = 0;
    for t in concrete {
        let mut c = 0;
        for f in fields {
            c += set_cost(p, t, &f.selection_set, path, errors);
        }
        best = best.max(c);
    }
    best
}

fn set_cost(
    p: &Prepared,
    ty: &str,
    sel: &SelectionSet<'static, String>,
    path: &mut Vec<Value>,
    errors: &mut Vec<GqlError>,
) -> u64 {
    let mut c = 0;
    for (key, group) in p.collect(sel, ty) {
        path.push(json!(key));
        c += field_cost(p, ty, &group, path, errors);
        path.pop();
    }
    c
}

/// `first` or `last` of a connection field: required, 0..=250.
pub fn page_size(p: &Prepared, f: &Field<'static, String>) -> Result<u64, String> {
    let first = p.arg(f, "first").and_then(|v| v.as_i64());
    let last = p.arg(f, "last").and_then(|v| v.as_i64());
    let n = match (first, last) {
        (Some(n), _) | (None, Some(n)) => n,
        (None, None) => return Err("you must provide one of first or last".to_owned()),
    };
    if !(0..=MAX_PAGE).contains(&n) {
        return Err(format!(
            "The {} argument must be between 0 and {MAX_PAGE}",
            if first.is_some() { "first" } else { "last" }
        ));
    }
    Ok(n as u64)
}
