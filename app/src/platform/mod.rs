//! The platform's door (PL-1, PL-3): the platform (the service that runs Zaps) asks
//! Gatehouse batches of questions with its own token, and hears about what it must act
//! on through signed events from an outbox; operators watch and resend deliveries.
pub mod api;
#[cfg(feature = "ssr")]
pub mod check;
#[cfg(feature = "ssr")]
pub mod events;
#[cfg(feature = "ssr")]
pub mod tokens;
pub mod view;

pub use wire::platform::{
    Answer, CheckAction, CheckAnswers, CheckRequest, Delivery, NewWebhook, Question, Webhook,
    WebhookCreated, MAX_QUESTIONS,
};
