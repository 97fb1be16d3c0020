//! A small JSON reader for what the reference tools write: objects, arrays,
//! strings, integers, booleans and null (they write no fractions).

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, its members in the order written.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The items of an array; panics on anything else.
    pub fn items(&self) -> &[Json] {
        match self {
            Json::Array(items) => items,
            other => panic!("not a JSON array: {other:?}"),
        }
    }
}

impl From<&str> for Json {
    fn from(s: &str) -> Self {
        Json::Str(s.to_string())
    }
}

impl From<i64> for Json {
    fn from(n: i64) -> Self {
        Json::Int(n)
    }
}

/// Parses `text`; panics, saying where, on anything malformed.
pub fn parse(text: &str) -> Json {
    let mut parser = Parser {
        text: text.as_bytes(),
        pos: 0,
    };
    let value = parser.value();
    parser.space();
    assert_eq!(parser.pos, text.len(), "trailing text after the JSON value");
    value
}

/// A cursor over the text.
struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn space(&mut self) {
        while self.text.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> u8 {
        self.space();
        *self
            .text
            .get(self.pos)
            .unwrap_or_else(|| panic!("JSON ends early"))
    }

    fn expect(&mut self, byte: u8) {
        let found = self.peek();
        assert_eq!(
            found as char, byte as char,
            "JSON: unexpected byte at {}",
            self.pos
        );
        self.pos += 1;
    }

    fn literal(&mut self, word: &str, value: Json) -> Json {
        assert!(
            self.text[self.pos..].starts_with(word.as_bytes()),
            "JSON: bad literal at {}",
            self.pos
        );
        self.pos += word.len();
        value
    }

    fn value(&mut self) -> Json {
        match self.peek() {
            b'{' => {
                self.pos += 1;
                let mut members = Vec::new();
                if self.peek() == b'}' {
                    self.pos += 1;
                    return Json::Object(members);
                }
                loop {
                    let key = self.string();
                    self.expect(b':');
                    members.push((key, self.value()));
                    if self.peek() == b'}' {
                        self.pos += 1;
                        return Json::Object(members);
                    }
                    self.expect(b',');
                }
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                if self.peek() == b']' {
                    self.pos += 1;
                    return Json::Array(items);
                }
                loop {
                    items.push(self.value());
                    if self.peek() == b']' {
                        self.pos += 1;
                        return Json::Array(items);
                    }
                    self.expect(b',');
                }
            }
            b'"' => Json::Str(self.string()),
            b't' => self.literal("true", Json::Bool(true)),
            b'f' => self.literal("false", Json::Bool(false)),
            b'n' => self.literal("null", Json::Null),
            _ => {
                let start = self.pos;
                if self.text[self.pos] == b'-' {
                    self.pos += 1;
                }
                while self.text.get(self.pos).is_some_and(u8::is_ascii_digit) {
                    self.pos += 1;
                }
                let digits = std::str::from_utf8(&self.text[start..self.pos]).expect("ASCII");
                Json::Int(
                    digits
                        .parse()
                        .unwrap_or_else(|_| panic!("JSON: not an integer at {start}")),
                )
            }
        }
    }

    fn hex4(&mut self) -> u32 {
        let digits = std::str::from_utf8(&self.text[self.pos..self.pos + 4]).expect("ASCII");
        self.pos += 4;
        u32::from_str_radix(digits, 16).expect("JSON: bad \\u escape")
    }

    fn string(&mut self) -> String {
        self.expect(b'"');
        let mut out = Vec::new();
        loop {
            let byte = self.text[self.pos];
            self.pos += 1;
            match byte {
                b'"' => return String::from_utf8(out).expect("JSON strings are UTF-8"),
                b'\\' => {
                    let escape = self.text[self.pos];
                    self.pos += 1;
                    let c = match escape {
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'u' => {
                            let mut code = self.hex4();
                            if (0xd800..0xdc00).contains(&code) {
                                self.pos += 2;
                                code = 0x10000 + ((code - 0xd800) << 10) + (self.hex4() - 0xdc00);
                            }
                            char::from_u32(code).expect("JSON: bad \\u escape")
                        }
                        other => other as char,
                    };
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                other => out.push(other),
            }
        }
    }
}
