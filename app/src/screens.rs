//! The screens the browser loads only when it first shows one (issue 13).
//!
//! The sign-in screens, the start page and the top bar are in the client's main module: a
//! first visit downloads only those. Every other screen is reached through [`Screen`], a
//! route view whose code sits behind one lazy function. With the `split` feature (the
//! release client, `xtask site`), that function and everything only it uses are cut out
//! of the main WASM into a module of their own, fetched when a route first needs it (the
//! server's page already asks the browser to preload it when the page it renders is one
//! of these screens). Without the feature the function is an ordinary one and the client
//! is one module, as before; the server renders the same HTML either way.

use leptos::prelude::*;
use leptos_router::ChooseView;

/// A screen outside the main module, as a route's view. (`u8`: it crosses into the split
/// module as a plain argument of an `extern "C"` call.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Screen {
    Accounts,
    Members,
    RemoveMember,
    Scim,
    Work,
    DeleteConnection,
    AccountHistory,
    UndoRemoval,
    Integrations,
    Integration,
    Use,
    Sharing,
    Team,
    Performance,
    IntegrationHistory,
    Feedback,
    NewFeedback,
    Embed,
    IntegrationAccess,
    InstanceAccess,
    AccountAccess,
    Reach,
    AccountInvite,
    TeamInvite,
    JoinTeam,
    Directory,
    Join,
    Invite,
    Instances,
    Instance,
    OperatorEvents,
    Tokens,
    MailList,
    Mail,
}

impl ChooseView for Screen {
    async fn choose(self) -> AnyView {
        view_of(self).await
    }

    /// Loads the split module before the router hydrates or shows the screen, so that
    /// [`ChooseView::choose`] is then ready at once (hydration walks the server's HTML
    /// synchronously and cannot wait in the middle of it).
    async fn preload(&self) {
        #[cfg(all(feature = "split", not(feature = "ssr")))]
        __preload_view_of().await;
    }
}

/// One split point for all of them: one extra module, fetched once, rather than a module
/// per screen and the shared chunks between them (an earlier try split per route: 502
/// files to optimise, and a screen's first show waited on many small fetches).
#[cfg_attr(any(feature = "ssr", feature = "split"), leptos::lazy)]
async fn view_of(screen: Screen) -> AnyView {
    use crate::*;
    match screen {
        Screen::Accounts => accounts::view::AccountsPage().into_any(),
        Screen::Members => accounts::view::MembersPage().into_any(),
        Screen::RemoveMember => members::view::RemovePage().into_any(),
        Screen::Scim => scim::view::ScimPage().into_any(),
        Screen::Work => members::work::WorkPage().into_any(),
        Screen::DeleteConnection => members::work::DeleteConnectionPage().into_any(),
        Screen::AccountHistory => history::view::AccountHistoryPage().into_any(),
        Screen::UndoRemoval => members::view::UndoRemovalPage().into_any(),
        Screen::Integrations => integrations::view::IntegrationsPage().into_any(),
        Screen::Integration => integrations::view::IntegrationPage().into_any(),
        Screen::Use => integrations::view::UsePage().into_any(),
        Screen::Sharing => integrations::view::SharingPage().into_any(),
        Screen::Team => team::view::TeamPage().into_any(),
        Screen::Performance => insights::view::PerformancePage().into_any(),
        Screen::IntegrationHistory => insights::view::HistoryPage().into_any(),
        Screen::Feedback => insights::view::FeedbackPage().into_any(),
        Screen::NewFeedback => insights::view::NewFeedbackPage().into_any(),
        Screen::Embed => join::view::EmbedPage().into_any(),
        Screen::IntegrationAccess => access::view::IntegrationAccessPage().into_any(),
        Screen::InstanceAccess => access::view::InstanceAccessPage().into_any(),
        Screen::AccountAccess => access::view::AccountAccessPage().into_any(),
        Screen::Reach => access::view::ReachPage().into_any(),
        Screen::AccountInvite => accounts::view::AccountInvitePage().into_any(),
        Screen::TeamInvite => team::view::TeamInvitePage().into_any(),
        Screen::JoinTeam => join::view::JoinTeamPage().into_any(),
        Screen::Directory => integrations::view::DirectoryPage().into_any(),
        Screen::Join => integrations::view::JoinPage().into_any(),
        Screen::Invite => integrations::view::InvitePage().into_any(),
        Screen::Instances => instances::view::InstancesPage().into_any(),
        Screen::Instance => instances::view::InstancePage().into_any(),
        Screen::OperatorEvents => platform::view::OperatorEventsPage().into_any(),
        Screen::Tokens => tokens::view::TokensPage().into_any(),
        Screen::MailList => devmail::view::MailListPage().into_any(),
        Screen::Mail => devmail::view::MailPage().into_any(),
    }
}
