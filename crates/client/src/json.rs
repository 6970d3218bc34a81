//! JSON read with the browser's own `JSON.parse`: the apps carry no JSON parser of their own for
//! what they only read (frames for the widget, API answers and errors, stored sessions).

use parley_protocol::contact::Json;
use wasm_bindgen::JsValue;

/// A value made by `JSON.parse`.
#[derive(Clone, Debug)]
pub struct Js(JsValue);

impl From<JsValue> for Js {
    /// A value the browser made some other way (a message posted to the page).
    fn from(value: JsValue) -> Self {
        Js(value)
    }
}

/// Parses JSON text; `None` when it is not JSON.
pub fn parse(text: &str) -> Option<Js> {
    js_sys::JSON::parse(text).ok().map(Js)
}

/// How deeply nested a value [`value`] follows; deeper is refused (as serde_json does, at 128).
#[cfg(target_arch = "wasm32")]
const DEPTH: usize = 64;

/// JSON text as serde_json's value, for what the desktop reads as a tree (messages from a host
/// page, its cursor). In the browser `JSON.parse` reads it and the tree is copied out, so the
/// app carries no JSON text parser; natively (the reducer's tests) serde_json reads it.
pub fn value(text: &str) -> Option<serde_json::Value> {
    #[cfg(target_arch = "wasm32")]
    return parse(text)?.value(DEPTH);
    #[cfg(not(target_arch = "wasm32"))]
    return serde_json::from_str(text).ok();
}

/// A frame from the server as the agent desktop reads it (`ServerMsg::read_agent`): the
/// browser parses the JSON, the hand-written reader builds the message. `None`: not a frame.
pub fn agent_frame(text: &str) -> Option<parley_protocol::ServerMsg> {
    parse(text).and_then(|v| parley_protocol::ServerMsg::read_agent(v).ok())
}

/// The largest whole number a JavaScript number holds exactly.
const EXACT: f64 = 9_007_199_254_740_991.0;

impl Js {
    /// A whole number within the exactly held range.
    fn whole(&self) -> Option<f64> {
        self.0
            .as_f64()
            .filter(|n| n.fract() == 0.0 && n.abs() <= EXACT)
    }

    /// The value as serde_json's, at most `depth` levels deep (`None`: deeper, or not JSON).
    pub fn value(&self, depth: usize) -> Option<serde_json::Value> {
        use serde_json::Value;
        let depth = depth.checked_sub(1)?;
        Some(if self.is_null() {
            Value::Null
        } else if let Some(b) = self.0.as_bool() {
            Value::Bool(b)
        } else if let Some(n) = self.unsigned() {
            Value::from(n)
        } else if let Some(n) = self.signed() {
            Value::from(n)
        } else if let Some(n) = self.0.as_f64() {
            Value::from(serde_json::Number::from_f64(n)?)
        } else if let Some(s) = self.0.as_string() {
            Value::String(s)
        } else if let Some(items) = self.items() {
            Value::Array(
                items
                    .iter()
                    .map(|item| item.value(depth))
                    .collect::<Option<_>>()?,
            )
        } else {
            // Inserted one by one rather than collected, which sorts first: see
            // `parley_protocol::contact`'s reading of a map.
            let mut map = serde_json::Map::new();
            for (k, v) in self.entries()? {
                map.insert(k, v.value(depth)?);
            }
            Value::Object(map)
        })
    }

    /// A text field of an object (`None` when missing or not text).
    pub fn text(&self, key: &str) -> Option<String> {
        self.field(key).string()
    }
}

impl Json for Js {
    fn null() -> Self {
        Js(JsValue::NULL)
    }
    fn is_null(&self) -> bool {
        self.0.is_null() || self.0.is_undefined()
    }
    fn string(&self) -> Option<String> {
        self.0.as_string()
    }
    fn boolean(&self) -> Option<bool> {
        self.0.as_bool()
    }
    fn unsigned(&self) -> Option<u64> {
        self.whole().filter(|n| *n >= 0.0).map(|n| n as u64)
    }
    fn signed(&self) -> Option<i64> {
        self.whole().map(|n| n as i64)
    }
    fn items(&self) -> Option<Vec<Self>> {
        js_sys::Array::is_array(&self.0)
            .then(|| js_sys::Array::from(&self.0).iter().map(Js).collect())
    }
    fn is_object(&self) -> bool {
        self.0.is_object() && !js_sys::Array::is_array(&self.0)
    }
    fn field(&self, key: &str) -> Self {
        let key = JsValue::from_str(key);
        let own = self.is_object() && js_sys::Object::has_own(&self.0.clone().into(), &key);
        match own {
            true => Js(js_sys::Reflect::get(&self.0, &key).unwrap_or(JsValue::NULL)),
            false => Self::null(),
        }
    }
    fn only_field(&self) -> Option<(String, Self)> {
        if !self.is_object() {
            return None;
        }
        let keys = js_sys::Object::keys(&js_sys::Object::from(self.0.clone()));
        let key = (keys.length() == 1).then(|| keys.get(0).as_string())??;
        let value = self.field(&key);
        Some((key, value))
    }
    fn entries(&self) -> Option<Vec<(String, Self)>> {
        if !self.is_object() {
            return None;
        }
        let keys = js_sys::Object::keys(&js_sys::Object::from(self.0.clone()));
        Some(
            keys.iter()
                .filter_map(|k| k.as_string())
                .map(|k| {
                    let v = self.field(&k);
                    (k, v)
                })
                .collect(),
        )
    }
    fn kind(&self) -> &'static str {
        if self.is_null() {
            "nothing"
        } else if self.0.as_bool().is_some() {
            "a boolean"
        } else if self.0.as_f64().is_some() {
            "a number"
        } else if self.0.is_string() {
            "a string"
        } else if js_sys::Array::is_array(&self.0) {
            "a list"
        } else {
            "an object"
        }
    }
}
