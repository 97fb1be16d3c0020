//! Header attributes: the raw bytes of every attribute, and its decoded
//! [`Value`] for each standard type of OpenEXR 3.5.

use super::text::Text;
use super::value::Value;
use crate::error::Result;

/// One attribute of a header.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// The attribute's name.
    pub name: Text,
    /// The type name as the file spells it.
    pub type_name: Text,
    /// The value bytes as stored (a NUL follows them in memory).
    pub data: Text,
    /// The decoded value; `None` for a type that is not a standard one, or
    /// (outside strict parsing) a value that does not decode.
    pub value: Option<Value>,
}

impl Attribute {
    /// Decodes `data` according to `type_name`. A value that does not decode
    /// is an error when `strict`, and otherwise kept undecoded (OpenEXR
    /// skips it) so its bytes stay visible.
    pub fn parse(name: Text, type_name: Text, data: Text, strict: bool) -> Result<Self> {
        let value = match Value::decode(type_name.as_bytes(), data.as_bytes()) {
            Ok(value) => value,
            Err(e) if strict => {
                return Err(e.context(format_args!("attribute '{name}' of type '{type_name}'")))
            }
            Err(_) => None,
        };
        Ok(Self {
            name,
            type_name,
            data,
            value,
        })
    }

    /// The payload of a `bytes` attribute, the pixels of a `preview`, or
    /// the value's bytes as stored for any other type, within the raw
    /// bytes.
    pub fn payload(&self) -> &[u8] {
        let skip = match &self.value {
            Some(Value::Bytes { type_hint, .. }) => 4 + type_hint.len(),
            Some(Value::Preview { .. }) => 8,
            _ => 0,
        };
        self.data.as_bytes().get(skip..).unwrap_or(&[])
    }
}
