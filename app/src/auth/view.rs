//! The sign-in pages. Every form works without JavaScript (plain POST + redirect).
use super::api::*;
use crate::components::{last_error, Field, FormError, Notice};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// `page`, carrying on where the person was going (an invitation, say), when that is a
/// path of this site.
fn keep_next(page: &str, next: &str) -> String {
    if crate::domain::validate::local_path(next).is_none() {
        return page.to_string();
    }
    let encoded: String = next
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{page}?next={encoded}")
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = last_error(action.value());
    let q = use_query_map();
    let next = move || q.with(|q| q.get("next").unwrap_or_default());
    view! {
        <section class="card narrow" aria-labelledby="signup-title">
            <h1 id="signup-title">"Create your Gatehouse login"</h1>
            <ActionForm action=action>
                <FormError error=error />
                <input type="hidden" name="next" value=next />
                <Field label="Your name" name="name" autocomplete="name" required=true error=error />
                <Field label="Email" name="email" kind="email" autocomplete="email" required=true error=error />
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    hint="At least 10 characters."
                    required=true
                    error=error
                />
                <button type="submit" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Creating…" } else { "Sign up" }}
                </button>
            </ActionForm>
            <p>"Already have a login? " <a href=move || keep_next("/signin", &next())>"Sign in"</a></p>
        </section>
    }
}

#[component]
pub fn CheckEmailPage() -> impl IntoView {
    view! {
        <section class="card narrow">
            <h1>"Check your inbox"</h1>
            <p>
                "We sent you a link to confirm your email address. Open it to finish, then sign in."
            </p>
            <p><a href="/signin">"Go to sign in"</a></p>
        </section>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = last_error(action.value());
    let q = use_query_map();
    let next = move || q.with(|q| q.get("next").unwrap_or_default());
    view! {
        <section class="card narrow" aria-labelledby="signin-title">
            <h1 id="signin-title">"Sign in"</h1>
            <Notice key="verified" text="Your email address is verified. You can sign in now." />
            <Notice key="reset" text="Your password was changed. Sign in with the new one." />
            <ActionForm action=action>
                <FormError error=error />
                <input type="hidden" name="next" value=next />
                <Field label="Email" name="email" kind="email" autocomplete="email" required=true error=error />
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="current-password"
                    required=true
                    error=error
                />
                <button type="submit" disabled=move || action.pending().get()>"Sign in"</button>
            </ActionForm>
            <p><a href="/forgot">"Forgot your password?"</a></p>
            <p>"New here? " <a href=move || keep_next("/signup", &next())>"Create a login"</a></p>
        </section>
    }
}

/// The link from the verification mail lands here; confirming is a POST, so
/// mail scanners that prefetch links cannot use up the token.
#[component]
pub fn VerifyPage() -> impl IntoView {
    let action = ServerAction::<VerifyEmail>::new();
    let error = last_error(action.value());
    let q = use_query_map();
    let token = move || q.with(|q| q.get("token").unwrap_or_default());
    let next = move || q.with(|q| q.get("next").unwrap_or_default());
    view! {
        <section class="card narrow">
            <h1>"Confirm your email address"</h1>
            <p>"Enter the password you chose when you signed up."</p>
            <ActionForm action=action>
                <input type="hidden" name="token" value=token />
                <input type="hidden" name="next" value=next />
                <p class="field-error" role="alert">
                    {move || error.get().and_then(|e| e.field_message("token").or_else(|| e.form_message()))}
                </p>
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="current-password"
                    required=true
                    error=error
                />
                <button type="submit">"Confirm my email address"</button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn ForgotPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let error = last_error(action.value());
    view! {
        <section class="card narrow">
            <h1>"Reset your password"</h1>
            <p>"Enter the email you sign in with. We will mail you a link to choose a new password."</p>
            <ActionForm action=action>
                <FormError error=error />
                <Field label="Email" name="email" kind="email" autocomplete="email" required=true error=error />
                <button type="submit">"Send the link"</button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn ForgotSentPage() -> impl IntoView {
    view! {
        <section class="card narrow">
            <h1>"Check your inbox"</h1>
            <p>"If an account uses that address, a reset link is on its way. It works for one hour."</p>
        </section>
    }
}

#[component]
pub fn ResetPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let error = last_error(action.value());
    let q = use_query_map();
    let token = move || q.with(|q| q.get("token").unwrap_or_default());
    view! {
        <section class="card narrow">
            <h1>"Choose a new password"</h1>
            <ActionForm action=action>
                <input type="hidden" name="token" value=token />
                <p class="field-error" role="alert">
                    {move || error.get().and_then(|e| e.field_message("token"))}
                </p>
                <FormError error=error />
                <Field
                    label="New password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    hint="At least 10 characters."
                    required=true
                    error=error
                />
                <button type="submit">"Change password"</button>
            </ActionForm>
        </section>
    }
}

/// A small banner for signed-in users whose address is not verified yet.
#[component]
pub fn VerifyBanner() -> impl IntoView {
    let action = ServerAction::<ResendVerification>::new();
    let error = last_error(action.value());
    view! {
        <div class="banner" role="status">
            <p>"Your email address is not verified yet. Check your inbox for the link."</p>
            <ActionForm action=action>
                <button type="submit" class="link-button">"Send a new link"</button>
            </ActionForm>
            <FormError error=error />
        </div>
    }
}
