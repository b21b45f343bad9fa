//! A minimal JSON reader for plugin configs (the C SDK's `df_json`).

/// A number keeps its literal's integer readings next to the nearest double.
#[derive(Clone, Debug, PartialEq)]
pub struct Number {
    /// The literal parsed to the nearest double.
    pub value: f64,
    /// `Some` for an integer literal (no fraction or exponent) in int64 range.
    pub int64: Option<i64>,
    /// `Some` for an integer literal in uint64 range.
    pub uint64: Option<u64>,
}

/// A parsed JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Json>),
    /// Members in document order (a repeated name keeps every member; `get` finds the last).
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parse a JSON text (the whole input must be one value).
    pub fn parse(text: &[u8]) -> Result<Json, String> {
        let mut p = Parser { s: text, i: 0, depth: 0 };
        let v = p.value()?;
        p.ws();
        if p.i != text.len() {
            return Err(p.fail("trailing characters after the JSON value"));
        }
        Ok(v)
    }

    /// "null", "boolean", "number", "string", "array" or "object".
    pub fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }

    /// Object member by name (the last one if repeated); `None` if missing or not an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(m) => m.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Array item `i`.
    pub fn at(&self, i: usize) -> Option<&Json> {
        match self {
            Json::Array(a) => a.get(i),
            _ => None,
        }
    }

    /// Items of an array or members of an object; 0 otherwise.
    pub fn len(&self) -> usize {
        match self {
            Json::Array(a) => a.len(),
            Json::Object(m) => m.len(),
            _ => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }
    pub fn is_array(&self) -> bool {
        matches!(self, Json::Array(_))
    }
    pub fn is_number(&self) -> bool {
        matches!(self, Json::Number(_))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }
    /// An integer literal in int64 range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(n) => n.int64,
            _ => None,
        }
    }
    /// An integer literal in uint64 range.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Number(n) => n.uint64,
            _ => None,
        }
    }
    /// Any number, as the nearest double.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(n) => Some(n.value),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The first member name not in `allowed` (strict configs), or `None`.
    pub fn unknown_key(&self, allowed: &[&str]) -> Option<&str> {
        match self {
            Json::Object(m) => m.iter().map(|(k, _)| k.as_str()).find(|k| !allowed.contains(k)),
            _ => None,
        }
    }
}

const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn fail(&self, what: &str) -> String {
        format!("{} at byte {}", what, self.i)
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn value(&mut self) -> Result<Json, String> {
        self.ws();
        match self.peek() {
            None => Err(self.fail("unexpected end of input")),
            Some(b'{') => self.container(true),
            Some(b'[') => self.container(false),
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b't') => self.word(b"true", Json::Bool(true)),
            Some(b'f') => self.word(b"false", Json::Bool(false)),
            Some(b'n') => self.word(b"null", Json::Null),
            Some(c) if c == b'-' || c.is_ascii_digit() => self.number(),
            Some(_) => Err(self.fail("unexpected character")),
        }
    }

    fn word(&mut self, w: &[u8], v: Json) -> Result<Json, String> {
        if self.s[self.i..].starts_with(w) {
            self.i += w.len();
            Ok(v)
        } else {
            Err(self.fail("unexpected character"))
        }
    }

    fn container(&mut self, object: bool) -> Result<Json, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.fail("nesting too deep"));
        }
        let close = if object { b'}' } else { b']' };
        self.i += 1;
        let mut items = Vec::new();
        let mut members = Vec::new();
        self.ws();
        if self.peek() == Some(close) {
            self.i += 1;
        } else {
            loop {
                self.ws();
                if object {
                    if self.peek() != Some(b'"') {
                        return Err(self.fail("expected a member name"));
                    }
                    let key = self.string()?;
                    self.ws();
                    if self.peek() != Some(b':') {
                        return Err(self.fail("expected ':'"));
                    }
                    self.i += 1;
                    let v = self.value()?;
                    members.push((key, v));
                } else {
                    items.push(self.value()?);
                }
                self.ws();
                match self.peek() {
                    Some(b',') => self.i += 1,
                    Some(c) if c == close => {
                        self.i += 1;
                        break;
                    }
                    _ => {
                        return Err(self.fail(if object { "expected ',' or '}'" } else { "expected ',' or ']'" }))
                    }
                }
            }
        }
        self.depth -= 1;
        Ok(if object { Json::Object(members) } else { Json::Array(items) })
    }

    fn hex4(&mut self) -> Result<u32, String> {
        if self.i + 4 > self.s.len() {
            return Err(self.fail("truncated \\u escape"));
        }
        let mut v = 0u32;
        for k in 0..4 {
            let d = (self.s[self.i + k] as char).to_digit(16).ok_or_else(|| self.fail("bad \\u escape"))?;
            v = v * 16 + d;
        }
        self.i += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, String> {
        self.i += 1; // opening quote
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = match self.peek() {
                None => return Err(self.fail("unterminated string")),
                Some(c) => c,
            };
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.peek().ok_or_else(|| self.fail("unterminated string"))?;
                    self.i += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xD800..0xDC00).contains(&cp) {
                                if !self.s[self.i..].starts_with(b"\\u") {
                                    return Err(self.fail("unpaired surrogate in \\u escape"));
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.fail("unpaired surrogate in \\u escape"));
                                }
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                            }
                            let ch = char::from_u32(cp).ok_or_else(|| self.fail("unpaired surrogate in \\u escape"))?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => {
                            self.i -= 1;
                            return Err(self.fail("bad escape in string"));
                        }
                    }
                }
                c if c < 0x20 => {
                    self.i -= 1;
                    return Err(self.fail("control character in string"));
                }
                c => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| self.fail("invalid UTF-8 in string"))
    }

    fn number(&mut self) -> Result<Json, String> {
        let start = self.i;
        let digits = |p: &mut Parser| {
            let s = p.i;
            while p.peek().map_or(false, |c| c.is_ascii_digit()) {
                p.i += 1;
            }
            p.i > s
        };
        let neg = self.peek() == Some(b'-');
        if neg {
            self.i += 1;
        }
        if self.peek() == Some(b'0') {
            self.i += 1;
        } else if !digits(self) {
            return Err(self.fail("bad number"));
        }
        let int_end = self.i;
        let mut integral = true;
        if self.peek() == Some(b'.') {
            integral = false;
            self.i += 1;
            if !digits(self) {
                return Err(self.fail("bad number"));
            }
        }
        if matches!(self.peek(), Some(b'e') | Some(b'E')) {
            integral = false;
            self.i += 1;
            if matches!(self.peek(), Some(b'+') | Some(b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return Err(self.fail("bad number"));
            }
        }
        let text = core::str::from_utf8(&self.s[start..self.i]).unwrap_or("0");
        let value: f64 = text.parse().map_err(|_| self.fail("bad number"))?;
        let (mut int64, mut uint64) = (None, None);
        if integral {
            let mag_text = core::str::from_utf8(&self.s[start + neg as usize..int_end]).unwrap_or("");
            if let Ok(mag) = mag_text.parse::<u64>() {
                if neg {
                    if mag <= 1u64 << 63 {
                        int64 = Some(0i64.wrapping_sub(mag as i64));
                        if mag == 0 {
                            uint64 = Some(0);
                        }
                    }
                } else {
                    uint64 = Some(mag);
                    if mag <= i64::MAX as u64 {
                        int64 = Some(mag as i64);
                    }
                }
            }
        }
        Ok(Json::Number(Number { value, int64, uint64 }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_integer_readings() {
        let v = Json::parse(br#"[1, -0, 9223372036854775808, -9223372036854775808, 18446744073709551616, 2.5, 1e3, 0.1]"#).unwrap();
        let n = |i: usize| match v.at(i).unwrap() {
            Json::Number(n) => n.clone(),
            _ => panic!("not a number"),
        };
        assert_eq!((n(0).int64, n(0).uint64), (Some(1), Some(1)));
        assert_eq!((n(1).int64, n(1).uint64), (Some(0), Some(0)));
        assert_eq!((n(2).int64, n(2).uint64), (None, Some(1 << 63)));
        assert_eq!((n(3).int64, n(3).uint64), (Some(i64::MIN), None));
        assert_eq!((n(4).int64, n(4).uint64, n(4).value), (None, None, 18446744073709551616.0));
        assert_eq!((n(5).int64, n(5).value), (None, 2.5));
        assert_eq!((n(6).int64, n(6).value), (None, 1000.0));
        assert_eq!(n(7).value, 0.1);
    }

    #[test]
    fn strings_objects_and_lookups() {
        let v = Json::parse(br#" {"a": "x\u00e9\ud83d\ude00\n", "b": [true, null], "a": {"c": 1}} "#).unwrap();
        assert_eq!(v.get("a").unwrap().get("c").unwrap().as_i64(), Some(1)); // last one wins
        assert_eq!(v.len(), 3);
        assert_eq!(v.unknown_key(&["a"]), Some("b"));
        assert_eq!(v.get("b").unwrap().at(0).unwrap().as_bool(), Some(true));
        let s = Json::parse(br#""x\u00e9\ud83d\ude00\n""#).unwrap();
        assert_eq!(s.as_str(), Some("x\u{e9}\u{1F600}\n"));
        assert_eq!(Json::parse(b"[]").unwrap().type_name(), "array");
    }

    #[test]
    fn syntax_errors_name_the_byte() {
        for (text, what) in [
            (&b"["[..], "unexpected end of input"),
            (b"{", "expected a member name"),
            (b"[1,]", "unexpected character"),
            (b"{\"a\" 1}", "expected ':'"),
            (b"\"\\ud800\"", "unpaired surrogate"),
            (b"01", "trailing characters"),
            (b"1.", "bad number"),
            (b"\"a\x01\"", "control character"),
        ] {
            let err = Json::parse(text).unwrap_err();
            assert!(err.contains(what) && err.contains(" at byte "), "{:?}: {}", text, err);
        }
        let deep = "[".repeat(65) + &"]".repeat(65);
        assert!(Json::parse(deep.as_bytes()).unwrap_err().contains("nesting too deep"));
    }
}
