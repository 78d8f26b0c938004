//! Gatehouse: who may use, build and own a company's integrations and app instances.
//!
//! This crate holds everything shared by the browser and the server: the domain
//! (pure rules), the wire types, the server functions and the pages. Server-only
//! code sits behind the `ssr` feature.
#![recursion_limit = "256"]

pub mod access;
pub mod accounts;
pub mod auth;
pub mod components;
pub mod devmail;
pub mod domain;
pub mod error;
pub mod history;
pub mod insights;
pub mod instances;
pub mod integrations;
pub mod join;
pub mod members;
pub mod nav;
pub mod platform;
pub mod scim;
pub mod screens;
#[cfg(feature = "ssr")]
pub mod server;
pub mod team;
pub mod tokens;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};
use screens::Screen;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_page_csp();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Pages get a CSP whose script nonce matches the hydration scripts of this response.
#[cfg(feature = "ssr")]
fn set_page_csp() {
    if let (Some(nonce), Some(opts)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        let csp = format!(
            "default-src 'self'; script-src 'self' 'nonce-{}' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
             object-src 'none'; frame-ancestors 'none'",
            &*nonce
        );
        if let Ok(v) = http::HeaderValue::from_str(&csp) {
            opts.insert_header(http::header::CONTENT_SECURITY_POLICY, v);
        }
    }
}

/// Every page is rendered whole on the server (`SsrMode::Async`): it works with
/// JavaScript off, and a page's HTTP status can depend on its data.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Gatehouse" />
        <Router>
            <nav::Nav />
            <main id="main" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") ssr=SsrMode::Async view=HomePage />
                    <Route path=path!("/signup") ssr=SsrMode::Async view=auth::view::SignUpPage />
                    <Route path=path!("/signin") ssr=SsrMode::Async view=auth::view::SignInPage />
                    <Route path=path!("/check-email") ssr=SsrMode::Async view=auth::view::CheckEmailPage />
                    <Route path=path!("/verify") ssr=SsrMode::Async view=auth::view::VerifyPage />
                    <Route path=path!("/forgot") ssr=SsrMode::Async view=auth::view::ForgotPage />
                    <Route path=path!("/forgot/sent") ssr=SsrMode::Async view=auth::view::ForgotSentPage />
                    <Route path=path!("/reset") ssr=SsrMode::Async view=auth::view::ResetPage />
                    <Route path=path!("/accounts") ssr=SsrMode::Async view=Screen::Accounts />
                    <Route path=path!("/accounts/:id/members") ssr=SsrMode::Async view=Screen::Members />
                    <Route path=path!("/accounts/:id/members/:uid/remove") ssr=SsrMode::Async view=Screen::RemoveMember />
                    <Route path=path!("/accounts/:id/scim") ssr=SsrMode::Async view=Screen::Scim />
                    <Route path=path!("/accounts/:id/work") ssr=SsrMode::Async view=Screen::Work />
                    <Route path=path!("/accounts/:id/connections/:cid/delete") ssr=SsrMode::Async view=Screen::DeleteConnection />
                    <Route path=path!("/accounts/:id/history") ssr=SsrMode::Async view=Screen::AccountHistory />
                    <Route path=path!("/accounts/:id/removals/:tid/undo") ssr=SsrMode::Async view=Screen::UndoRemoval />
                    <Route path=path!("/integrations") ssr=SsrMode::Async view=Screen::Integrations />
                    <Route path=path!("/integrations/:id") ssr=SsrMode::Async view=Screen::Integration />
                    <Route path=path!("/integrations/:id/use") ssr=SsrMode::Async view=Screen::Use />
                    <Route path=path!("/integrations/:id/sharing") ssr=SsrMode::Async view=Screen::Sharing />
                    <Route path=path!("/integrations/:id/team") ssr=SsrMode::Async view=Screen::Team />
                    <Route path=path!("/integrations/:id/performance") ssr=SsrMode::Async view=Screen::Performance />
                    <Route path=path!("/integrations/:id/history") ssr=SsrMode::Async view=Screen::IntegrationHistory />
                    <Route path=path!("/integrations/:id/feedback") ssr=SsrMode::Async view=Screen::Feedback />
                    <Route path=path!("/integrations/:id/feedback/new") ssr=SsrMode::Async view=Screen::NewFeedback />
                    <Route path=path!("/integrations/:id/embed") ssr=SsrMode::Async view=Screen::Embed />
                    <Route path=path!("/integrations/:id/access") ssr=SsrMode::Async view=Screen::IntegrationAccess />
                    <Route path=path!("/instances/:id/access") ssr=SsrMode::Async view=Screen::InstanceAccess />
                    <Route path=path!("/accounts/:id/access") ssr=SsrMode::Async view=Screen::AccountAccess />
                    <Route path=path!("/access") ssr=SsrMode::Async view=Screen::Reach />
                    <Route path=path!("/account-invite/:token") ssr=SsrMode::Async view=Screen::AccountInvite />
                    <Route path=path!("/team-invite/:token") ssr=SsrMode::Async view=Screen::TeamInvite />
                    <Route path=path!("/teams/join") ssr=SsrMode::Async view=Screen::JoinTeam />
                    <Route path=path!("/directory") ssr=SsrMode::Async view=Screen::Directory />
                    <Route path=path!("/join/:token") ssr=SsrMode::Async view=Screen::Join />
                    <Route path=path!("/invite/:token") ssr=SsrMode::Async view=Screen::Invite />
                    <Route path=path!("/instances") ssr=SsrMode::Async view=Screen::Instances />
                    <Route path=path!("/instances/:id") ssr=SsrMode::Async view=Screen::Instance />
                    <Route path=path!("/operator/events") ssr=SsrMode::Async view=Screen::OperatorEvents />
                    <Route path=path!("/settings/tokens") ssr=SsrMode::Async view=Screen::Tokens />
                    <Route path=path!("/dev/mail") ssr=SsrMode::Async view=Screen::MailList />
                    <Route path=path!("/dev/mail/:id") ssr=SsrMode::Async view=Screen::Mail />
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn HomePage() -> impl IntoView {
    view! {
        <section class="hero">
            <h1>"Gatehouse"</h1>
            <p>
                "Decide who may use, build and own your integrations and app instances — and what happens to their work when people join or leave."
            </p>
            <p class="actions">
                <a class="button" href="/accounts">"Go to your accounts"</a>
                <a href="/signup">"Create a login"</a>
            </p>
        </section>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        opts.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="card narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. " <a href="/">"Go to the start page"</a></p>
        </section>
    }
}
