//! A JSON value that satisfies a (simple) JSON Schema, for structured outputs and tool
//! arguments. Handles both JSON Schema (lowercase types) and Gemini's OpenAPI subset (uppercase).

use serde_json::{Map, Value, json};

/// Builds a value valid for `schema`: objects get their required properties (all properties when
/// `required` is absent), strings `"example"` (or the first `enum`/`const`), numbers 1.5,
/// integers 1, booleans true, arrays one item. `$ref` into `$defs`/`definitions` is followed.
pub fn example(schema: &Value) -> Value {
    example_in(schema, schema, 0)
}

fn example_in(schema: &Value, root: &Value, depth: usize) -> Value {
    if depth > 16 {
        return Value::Null;
    }
    let Some(obj) = schema.as_object() else {
        return json!("example");
    };
    if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
        let target = reference
            .strip_prefix("#/")
            .map(|path| path.split('/').try_fold(root, |v, seg| v.get(seg)))
            .unwrap_or(None);
        return target.map_or(Value::Null, |t| example_in(t, root, depth + 1));
    }
    if let Some(c) = obj.get("const") {
        return c.clone();
    }
    if let Some(first) = obj
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(options) = obj.get(key).and_then(Value::as_array) {
            let pick = options
                .iter()
                .find(|o| type_name(o).as_deref() != Some("null"))
                .or(options.first());
            return pick.map_or(Value::Null, |o| example_in(o, root, depth + 1));
        }
    }
    let ty = type_name(schema).unwrap_or_else(|| {
        if obj.contains_key("properties") {
            "object".into()
        } else {
            "string".into()
        }
    });
    match ty.as_str() {
        "object" => {
            let props = obj.get("properties").and_then(Value::as_object);
            let required: Option<Vec<&str>> = obj
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect());
            let mut out = Map::new();
            if let Some(props) = props {
                for (name, sub) in props {
                    if required.as_ref().is_none_or(|r| r.contains(&name.as_str())) {
                        out.insert(name.clone(), example_in(sub, root, depth + 1));
                    }
                }
            }
            Value::Object(out)
        }
        "array" => {
            let item = obj
                .get("items")
                .map_or(json!("example"), |i| example_in(i, root, depth + 1));
            Value::Array(vec![item])
        }
        "integer" => json!(1),
        "number" => json!(1.5),
        "boolean" => json!(true),
        "null" => Value::Null,
        _ => match obj.get("format").and_then(Value::as_str) {
            Some("date-time") => json!("2024-01-01T00:00:00Z"),
            Some("date") => json!("2024-01-01"),
            _ => json!("example"),
        },
    }
}

/// The lowercase type of a schema; for a type list, the first that is not "null".
fn type_name(schema: &Value) -> Option<String> {
    match schema.get("type")? {
        Value::String(s) => Some(s.to_ascii_lowercase()),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| !t.eq_ignore_ascii_case("null"))
            .map(str::to_ascii_lowercase),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_required_properties() {
        let schema = json!({"type":"object","properties":{"city":{"type":"string"},"temperature":{"type":"number"},
            "units":{"type":"string","enum":["c","f"]},"extra":{"type":"string"}},"required":["city","temperature","units"]});
        assert_eq!(
            example(&schema),
            json!({"city":"example","temperature":1.5,"units":"c"})
        );
        let gemini = json!({"type":"OBJECT","properties":{"n":{"type":"INTEGER"},"l":{"type":"ARRAY","items":{"type":"BOOLEAN"}}}});
        assert_eq!(example(&gemini), json!({"n":1,"l":[true]}));
        let refs = json!({"$defs":{"I":{"type":"object","properties":{"q":{"type":"integer"}}}},
            "type":"object","properties":{"items":{"type":"array","items":{"$ref":"#/$defs/I"}},"x":{"type":["string","null"]}}});
        assert_eq!(example(&refs), json!({"items":[{"q":1}],"x":"example"}));
    }
}
