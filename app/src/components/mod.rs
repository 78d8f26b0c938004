//! Widgets shared by features: labelled fields with their errors, form-level alerts.
use crate::error::AppError;
use leptos::prelude::*;

/// The error of the last call of an action, if it failed.
pub fn last_error<T: Clone + Send + Sync + 'static>(
    value: impl Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
) -> Signal<Option<AppError>> {
    Signal::derive(move || match value.get() {
        Some(Err(e)) => Some(e),
        _ => None,
    })
}

/// A labelled input; its error sits right under it and is announced to screen readers.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional)] hint: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(default = false)] required: bool,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let err_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let message = move || error.get().and_then(|e| e.field_message(name));
    let described = {
        let err_id = err_id.clone();
        let hint_id = hint_id.clone();
        move || {
            let mut ids = Vec::new();
            if !hint.is_empty() {
                ids.push(hint_id.clone());
            }
            if message().is_some() {
                ids.push(err_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            {(!hint.is_empty()).then(|| view! { <p class="hint" id=hint_id.clone()>{hint}</p> })}
            <input
                id=id
                name=name
                type=kind
                value=value
                required=required
                autocomplete=(!autocomplete.is_empty()).then_some(autocomplete)
                aria-invalid=move || message().is_some().then_some("true")
                aria-describedby=described
            />
            <p class="field-error" id=err_id role="alert">
                {message}
            </p>
        </div>
    }
}

/// An error that is about the whole form rather than one field.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <div class="form-error" role="alert">
            {move || error.get().and_then(|e| e.form_message()).map(|m| view! { <p>{m}</p> })}
        </div>
    }
}

/// A notice shown when the page's query string carries `key=1`.
#[component]
pub fn Notice(key: &'static str, text: &'static str) -> impl IntoView {
    let q = leptos_router::hooks::use_query_map();
    move || {
        q.with(|q| q.get(key).as_deref() == Some("1"))
            .then(|| view! { <p class="notice" role="status">{text}</p> })
    }
}

/// Shown while a page's data is on its way.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="loading" role="status" aria-live="polite">"Loading…"</p> }
}

/// An error from loading a page's data, in plain words.
#[component]
pub fn LoadError(error: AppError) -> impl IntoView {
    // Pages render whole on the server, so the page's status can follow its data:
    // a missing and a forbidden object answer 404 and 403 like the server functions.
    #[cfg(feature = "ssr")]
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        if matches!(error, AppError::NotFound | AppError::Forbidden) {
            opts.set_status(error.status());
        }
    }
    let text = match &error {
        AppError::NotFound => {
            "We could not find that. It may have been removed, or you may not have access."
                .to_string()
        }
        AppError::Unauthenticated => "Please sign in to see this page.".to_string(),
        other => other.to_string(),
    };
    let sign_in = matches!(error, AppError::Unauthenticated);
    view! {
        <div class="load-error" role="alert">
            <p>{text}</p>
            {sign_in.then(|| view! { <a href="/signin">"Sign in"</a> })}
        </div>
    }
}
