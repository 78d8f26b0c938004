//! The JSON API over HTTP: a bearer token on every request, problems turned into
//! errors with the exit code a script can branch on.
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;
use wire::api::Problem;

/// Why a command stopped, and its exit code.
#[derive(Debug)]
pub enum Failure {
    /// The server refused, or something failed (exit 1).
    Refused(String),
    /// A question was answered no (exit 3).
    Cancelled,
    /// No token, or the server does not accept it (exit 4).
    NotSignedIn(String),
}

impl Failure {
    pub fn code(&self) -> u8 {
        match self {
            Self::Refused(_) => 1,
            Self::Cancelled => 3,
            Self::NotSignedIn(_) => 4,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(m) => write!(f, "{m}"),
            Self::Cancelled => write!(f, "Cancelled: nothing was changed."),
            Self::NotSignedIn(m) => write!(f, "{m}"),
        }
    }
}

pub fn refused(m: impl Into<String>) -> Failure {
    Failure::Refused(m.into())
}

pub type Outcome<T> = Result<T, Failure>;

/// One server and one token.
pub struct Api {
    base: String,
    token: String,
    http: Client,
}

impl Api {
    pub fn new(base: &str, token: &str) -> Outcome<Self> {
        let http = Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .user_agent(concat!("gatehousectl/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| refused(format!("Could not set up HTTP: {e}")))?;
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            token: token.trim().to_string(),
            http,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.token)
    }

    fn send(&self, req: RequestBuilder) -> Outcome<Response> {
        let res = req.send().map_err(|e| {
            refused(format!(
                "Could not reach {}: {}",
                self.base,
                e.without_url()
            ))
        })?;
        if res.status().is_success() {
            return Ok(res);
        }
        let status = res.status();
        let text = res.text().unwrap_or_default();
        let message = match serde_json::from_str::<Problem>(&text) {
            Ok(p) => {
                let mut m = format!("{}: {}", p.title, p.detail);
                for e in &p.errors {
                    m.push_str(&format!("\n  {}: {}", e.field, e.message));
                }
                m
            }
            Err(_) => format!("{status}: the server answered something unexpected"),
        };
        if status == StatusCode::UNAUTHORIZED {
            return Err(Failure::NotSignedIn(format!(
                "{message}\nSign in again: gatehousectl login --url {}",
                self.base
            )));
        }
        Err(Failure::Refused(message))
    }

    fn json<T: DeserializeOwned>(&self, res: Response) -> Outcome<T> {
        res.json::<T>()
            .map_err(|e| refused(format!("The server's answer did not fit: {e}")))
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Outcome<T> {
        let res = self.send(self.request(Method::GET, path))?;
        self.json(res)
    }

    pub fn get_query<T: DeserializeOwned, Q: Serialize>(&self, path: &str, q: &Q) -> Outcome<T> {
        let res = self.send(self.request(Method::GET, path).query(q))?;
        self.json(res)
    }

    pub fn get_bytes(&self, path: &str) -> Outcome<Vec<u8>> {
        let res = self.send(self.request(Method::GET, path))?;
        res.bytes()
            .map(|b| b.to_vec())
            .map_err(|e| refused(format!("The answer broke off: {e}")))
    }

    /// A write with a JSON body; the answer is read when there is one (204 gives `None`).
    pub fn write<T: DeserializeOwned, B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Outcome<Option<T>> {
        let mut req = self.request(method, path);
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = self.send(req)?;
        if res.status() == StatusCode::NO_CONTENT {
            return Ok(None);
        }
        self.json(res).map(Some)
    }

    /// A write whose answer is a 204, or whose body is not needed.
    pub fn act<B: Serialize>(&self, method: Method, path: &str, body: Option<&B>) -> Outcome<()> {
        let mut req = self.request(method, path);
        if let Some(b) = body {
            req = req.json(b);
        }
        self.send(req).map(|_| ())
    }

    /// A write with a query string and no body, answered with JSON.
    pub fn act_query<T: DeserializeOwned, Q: Serialize>(
        &self,
        method: Method,
        path: &str,
        q: &Q,
    ) -> Outcome<T> {
        let res = self.send(self.request(method, path).query(q))?;
        self.json(res)
    }

    /// A write with a query string whose answer is not needed.
    pub fn act_with_query<Q: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        q: &Q,
    ) -> Outcome<()> {
        self.send(self.request(method, path).query(q)).map(|_| ())
    }
}
