//! The top bar: who is signed in, their accounts (the switcher), sign out.
use crate::accounts::AccountSummary;
use crate::auth::{api::SignOut, view::VerifyBanner, CurrentUser};
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_location;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NavInfo {
    pub user: Option<CurrentUser>,
    pub accounts: Vec<AccountSummary>,
    pub mail_viewer: bool,
}

#[server(endpoint = "nav_info")]
pub async fn get_nav_info() -> Result<NavInfo, AppError> {
    use crate::server::{respond, state};
    respond(
        async {
            let st = state()?;
            let user = crate::server::door::browser_optional(&st)
                .await?
                .map(|a| a.user);
            let accounts = match &user {
                Some(u) => {
                    let mut conn = st.pool.acquire().await?;
                    crate::accounts::repo::accounts_of(&mut conn, u.id).await?
                }
                None => Vec::new(),
            };
            Ok(NavInfo {
                user,
                accounts,
                mail_viewer: st.config.mail_viewer_enabled(),
            })
        }
        .await,
    )
}

#[component]
pub fn Nav() -> impl IntoView {
    let location = use_location();
    let sign_out = ServerAction::<SignOut>::new();
    // Refetched on every navigation, so a sign-in or a removal shows at once.
    let info = Resource::new(
        move || (location.pathname.get(), sign_out.version().get()),
        |_| get_nav_info(),
    );
    view! {
        <header class="topbar">
            <a href="#main" class="skip-link">"Skip to content"</a>
            <a href="/" class="brand">"Gatehouse"</a>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let info = info.await.unwrap_or_default();
                    let mail = info.mail_viewer.then(|| view! { <a href="/dev/mail">"Mail viewer"</a> });
                    match info.user {
                        None => view! {
                            <nav aria-label="Main" class="main-nav">
                                {mail}
                                <a href="/signin">"Sign in"</a>
                                <a href="/signup">"Sign up"</a>
                            </nav>
                        }.into_any(),
                        Some(u) => {
                            let unverified = !u.email_verified;
                            view! {
                                <nav aria-label="Main" class="main-nav">
                                    <details class="switcher">
                                        <summary>"Accounts"</summary>
                                        <ul>
                                            {info.accounts.into_iter().map(|a| view! {
                                                <li><a href=format!("/accounts/{}/members", a.id)>{a.name}</a></li>
                                            }).collect_view()}
                                            <li><a href="/accounts">"All accounts…"</a></li>
                                        </ul>
                                    </details>
                                    <a href="/integrations">"Integrations"</a>
                                    <a href="/teams/join">"Join a team"</a>
                                    <a href="/instances">"Instances"</a>
                                    <a href="/settings/tokens">"API tokens"</a>
                                    {mail}
                                    <span class="who" title="Signed in as">{u.email}</span>
                                    <ActionForm action=sign_out>
                                        <button type="submit" class="link-button">"Sign out"</button>
                                    </ActionForm>
                                </nav>
                                {unverified.then(|| view! { <VerifyBanner /> })}
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </header>
    }
}
