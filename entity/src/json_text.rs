//! A JSON column kept as its text.
//!
//! The usage writer binds a generation's attempts to its insert thousands of times a second.
//! As a `serde_json::Value` they were built from the attempts, printed back to text for the
//! bind and dropped: about a quarter of the writer's instructions under callgrind. Held as
//! text, they are serialized once, when the record is assembled, and bound as they are.
//! Readers parse them where they need the parts (`GET /generation` does, once per request).

use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, ValueType, ValueTypeErr};
use sea_orm::{TryGetableFromJson, Value};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Valid JSON text by construction: it is made only by serializing or by parsing.
/// Serialized (the dead-letter file) as the JSON itself, not as a string holding it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JsonText(Box<RawValue>);

impl JsonText {
    /// `value` serialized: one pass, straight to text.
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::value::to_raw_value(value).map(JsonText)
    }

    /// JSON `null`.
    pub fn null() -> Self {
        JsonText(RawValue::NULL.to_owned())
    }

    /// The JSON text, compact as it was serialized (or as the database returned it).
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The parts, parsed.
    pub fn parse<'a, T: Deserialize<'a>>(&'a self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.get())
    }
}

impl From<&serde_json::Value> for JsonText {
    fn from(value: &serde_json::Value) -> Self {
        // A `Value` always serializes: its map keys are strings.
        JsonText::of(value).unwrap_or_else(|_| JsonText::null())
    }
}

/// The same JSON text. Texts that differ only in spacing or key order are not equal; every
/// `JsonText` the server makes is compact and in the order it was built.
impl PartialEq for JsonText {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Eq for JsonText {}

impl TryGetableFromJson for JsonText {}

/// For inserts through SeaORM (tests and tools; the usage writer binds [`JsonText::get`]).
impl From<JsonText> for Value {
    fn from(text: JsonText) -> Self {
        let json = serde_json::from_str(text.get()).unwrap_or(serde_json::Value::Null);
        Value::Json(Some(Box::new(json)))
    }
}

impl ValueType for JsonText {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::Json(Some(json)) => Ok(JsonText::from(&*json)),
            _ => Err(ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "JsonText".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::Json
    }

    fn column_type() -> ColumnType {
        ColumnType::Json
    }
}

impl Nullable for JsonText {
    fn null() -> Value {
        Value::Json(None)
    }
}

impl sea_orm::IntoActiveValue<JsonText> for JsonText {
    fn into_active_value(self) -> sea_orm::ActiveValue<JsonText> {
        sea_orm::ActiveValue::set(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_the_json_itself_and_reads_back_equal() {
        let text = JsonText::of(&serde_json::json!([{"provider": "OpenAI", "status": 200}]))
            .expect("serializes");
        assert_eq!(text.get(), r#"[{"provider":"OpenAI","status":200}]"#);
        #[derive(Serialize, Deserialize)]
        struct Line {
            attempts: JsonText,
        }
        let line = serde_json::to_string(&Line {
            attempts: text.clone(),
        })
        .expect("serializes");
        assert_eq!(line, r#"{"attempts":[{"provider":"OpenAI","status":200}]}"#);
        let back: Line = serde_json::from_str(&line).expect("parses");
        assert_eq!(back.attempts, text);
        let parts: Vec<serde_json::Value> = back.attempts.parse().expect("parses");
        assert_eq!(parts[0]["status"], 200);
    }

    #[test]
    fn converts_to_and_from_seaorm_values() {
        let text = JsonText::of(&serde_json::json!({"a": [1, 2]})).expect("serializes");
        let value: Value = text.clone().into();
        assert_eq!(
            <JsonText as ValueType>::try_from(value).expect("json"),
            text
        );
        assert!(<JsonText as ValueType>::try_from(Value::Int(Some(1))).is_err());
    }
}
