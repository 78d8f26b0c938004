//! Who may do what: pure functions of the actor's role and the action, deny by default.
//!
//! The server calls these before every read or write it does for someone; the
//! browser calls the same functions only to hide controls. A successful answer
//! is an [`Authorized`] proof, which only this module can make, so code that
//! needs one cannot forget to ask.
use super::roles::{AccountRole, InstanceAccess, TeamRole};

/// Proof that the policy allowed an action. Only this module constructs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authorized(());

/// Why an action was refused. `NotVisible` means the actor holds no role at all:
/// the object must look missing to them (AC-3). `Forbidden` means they can see
/// the object but may not do this to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    NotVisible,
    Forbidden,
}

const fn allow() -> Result<Authorized, Denied> {
    Ok(Authorized(()))
}

fn deny_visible() -> Result<Authorized, Denied> {
    Err(Denied::Forbidden)
}

/// Actions inside a company account (OF-2 and the account screens).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    /// See the account, its members and their roles.
    ViewMembers,
    /// Manage one's own Zaps, folders and connections.
    ManageOwnWork,
    /// Download a CSV of another user's Zaps and connections (OF-4).
    ExportMemberCsv,
    /// Transfer ownership of another user's Zaps or connections (OF-2, OF-6).
    TransferOwnership,
    /// Remove a member from the account (OF-1).
    RemoveMember { target: AccountRole, is_self: bool },
    /// Choose the new owner on removal; admins are forced to the account owner (OF-2).
    ChooseNewOwner,
    /// Delete another user's private app connections.
    DeleteOthersPrivateConnection,
    /// Choose how long a removed user's private connections keep working.
    ChooseConnectionExpiry,
    /// Switch SCIM provisioning on or off (OF-7).
    ManageScim,
    /// Read, export and verify the account's history (HI-2, HI-3).
    ViewHistory,
    /// Undo a member's removal within its 14 days (HI-4).
    UndoRemoval,
    /// See who can reach the account and by which role (AX-1).
    ViewAccess,
    /// Change a member holding `target` to the role `to` (AM-2): within the actor's own
    /// ceiling, never one's own role, never the owner's, never to owner (that is a
    /// hand-over), and super admin only from the owner.
    ChangeRole {
        target: AccountRole,
        to: AccountRole,
        is_self: bool,
    },
    /// Hand the account to another member (AM-3): the owner only.
    HandOverOwnership,
    /// Invite someone by email with `role` (AM-1): never above one's own role, super
    /// admin only from the owner, owner never (that is a hand-over).
    Invite { role: AccountRole },
    /// See, resend and cancel the account's pending invitations (AM-1).
    ManageInvitations,
}

/// The account's identity provider over SCIM (OF-7, AM-4): it manages membership with the
/// owner's ceiling (it may make super admins), but never acts on the owner, who is handed
/// over on the screen, and nothing else of the account.
pub fn provisioner(action: AccountAction) -> Result<Authorized, Denied> {
    use AccountAction::*;
    match action {
        ChangeRole { target, to, .. } => account(
            Some(AccountRole::Owner),
            ChangeRole {
                target,
                to,
                is_self: false,
            },
        ),
        RemoveMember { target, .. } => account(
            Some(AccountRole::Owner),
            RemoveMember {
                target,
                is_self: false,
            },
        ),
        _ => deny_visible(),
    }
}

pub fn account(role: Option<AccountRole>, action: AccountAction) -> Result<Authorized, Denied> {
    use AccountAction::*;
    use AccountRole::*;
    let Some(role) = role else {
        return Err(Denied::NotVisible);
    };
    match (action, role) {
        (ViewMembers | ManageOwnWork, _) => allow(),
        (ExportMemberCsv | TransferOwnership | ChooseNewOwner, Owner | SuperAdmin) => allow(),
        (ExportMemberCsv | TransferOwnership | ChooseNewOwner, Admin | Member) => deny_visible(),
        (DeleteOthersPrivateConnection | ChooseConnectionExpiry, Owner | SuperAdmin | Admin) => {
            allow()
        }
        (DeleteOthersPrivateConnection | ChooseConnectionExpiry, Member) => deny_visible(),
        (ManageScim, Owner | SuperAdmin) => allow(),
        (ManageScim, Admin | Member) => deny_visible(),
        (ViewHistory, Owner | SuperAdmin | Admin) => allow(),
        (ViewHistory, Member) => deny_visible(),
        (UndoRemoval | ViewAccess, Owner | SuperAdmin) => allow(),
        (UndoRemoval | ViewAccess, Admin | Member) => deny_visible(),
        (Invite { role: Owner }, _) => deny_visible(),
        (Invite { .. }, Member) => deny_visible(),
        (Invite { role: SuperAdmin }, SuperAdmin | Admin) => deny_visible(),
        (Invite { role }, actor) if role.rank() > actor.rank() => deny_visible(),
        (Invite { .. }, Owner | SuperAdmin | Admin) => allow(),
        (ManageInvitations, Owner | SuperAdmin | Admin) => allow(),
        (ManageInvitations, Member) => deny_visible(),
        (HandOverOwnership, Owner) => allow(),
        (HandOverOwnership, SuperAdmin | Admin | Member) => deny_visible(),
        (ChangeRole { target: Owner, .. } | ChangeRole { to: Owner, .. }, _) => deny_visible(),
        (ChangeRole { is_self: true, .. }, _) => deny_visible(),
        (ChangeRole { .. }, Member) => deny_visible(),
        (ChangeRole { to: SuperAdmin, .. }, SuperAdmin | Admin) => deny_visible(),
        (ChangeRole { target, to, .. }, actor)
            if target.rank() > actor.rank() || to.rank() > actor.rank() =>
        {
            deny_visible()
        }
        (ChangeRole { .. }, Owner | SuperAdmin | Admin) => allow(),
        // Nobody removes the owner or themselves here; nobody removes someone who outranks them.
        (
            RemoveMember {
                target: AccountRole::Owner,
                ..
            },
            _,
        ) => deny_visible(),
        (RemoveMember { is_self: true, .. }, _) => deny_visible(),
        (RemoveMember { .. }, Member) => deny_visible(),
        (RemoveMember { target, .. }, actor) if target.rank() > actor.rank() => deny_visible(),
        (RemoveMember { .. }, Owner | SuperAdmin | Admin) => allow(),
    }
}

/// Actions on an integration and its team (TM-*, SH-*, SJ-*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamAction {
    /// Read what collaborators read: overview, performance, history, feedback,
    /// embed tools, sharing lists, the team list (TM-2).
    View,
    /// Comment on feature requests and bug reports (TM-2).
    Comment,
    /// Change one's own marketing subscription (TM-8).
    EditOwnSubscription,
    /// Edit name, description, visibility and versions.
    EditIntegration,
    /// Invite links, email invites and revocations (SH-2 … SH-7).
    ManageSharing,
    /// The join settings and the embed origins (SJ-1, SJ-3).
    ManageJoinAndEmbed,
    /// Invite someone to the team with this role (TM-3).
    Invite { role: TeamRole },
    /// Change a member's role (TM-5).
    ChangeRole,
    /// Remove a member holding `target`, or oneself (TM-5).
    RemoveMember { target: TeamRole, is_self: bool },
    /// Assign or revoke the marketing or technical contact (TM-7).
    AssignContact,
    /// Send an update mail to the team (TM-8).
    SendUpdate,
    /// Change the status of a feature request or bug report.
    ChangeFeedbackStatus,
    /// Check the integration's history chain for tampering (HI-2).
    VerifyHistory,
    /// See everyone who can reach the integration, by which road (AX-1).
    ViewAccess,
}

pub fn team(role: Option<TeamRole>, action: TeamAction) -> Result<Authorized, Denied> {
    use TeamAction::*;
    use TeamRole::*;
    let Some(role) = role else {
        return Err(Denied::NotVisible);
    };
    match (action, role) {
        (View | Comment | EditOwnSubscription, _) => allow(),
        (RemoveMember { is_self: true, .. }, _) => allow(),
        (Invite { role: Collaborator }, _) => allow(),
        (
            RemoveMember {
                target: Collaborator,
                ..
            },
            _,
        ) => allow(),
        (
            EditIntegration
            | ManageSharing
            | ManageJoinAndEmbed
            | Invite { role: Admin }
            | ChangeRole
            | RemoveMember { target: Admin, .. }
            | AssignContact
            | SendUpdate
            | ChangeFeedbackStatus
            | VerifyHistory
            | ViewAccess,
            Admin,
        ) => allow(),
        (
            EditIntegration
            | ManageSharing
            | ManageJoinAndEmbed
            | Invite { role: Admin }
            | ChangeRole
            | RemoveMember { target: Admin, .. }
            | AssignContact
            | SendUpdate
            | ChangeFeedbackStatus
            | VerifyHistory
            | ViewAccess,
            Collaborator,
        ) => deny_visible(),
    }
}

/// What someone who uses an integration (not its team) may do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UseAction {
    /// Send a feature request or a bug report to the team (TM-2).
    SendFeedback,
    /// Ask to join the team as a collaborator (SJ-2): the integration must be public
    /// and accepting joins; the address is checked separately.
    RequestJoin,
}

/// `may_use`: the integration is public, an active grant covers it, or they are on its team.
/// `joinable`: it is public with "join as collaborator" on. Someone it is not
/// visible to sees nothing (AC-3).
pub fn integration_use(
    may_use: bool,
    joinable: bool,
    action: UseAction,
) -> Result<Authorized, Denied> {
    match (action, may_use, joinable) {
        (UseAction::SendFeedback, true, _) => allow(),
        (UseAction::RequestJoin, _, true) => allow(),
        _ => Err(Denied::NotVisible),
    }
}

/// What a member does with a Zap or an app connection in their account (PL-2, OF-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkAction {
    /// Edit, switch, move or delete a Zap.
    ChangeZap,
    /// Put a connection into a Zap.
    UseConnection,
    /// Delete a connection (its Zaps pause).
    DeleteConnection,
}

/// `role`: the actor's role in the item's account (None: not a member); `mine`: the actor
/// owns the item; `private`: the item is private. Members manage their own work; a shared
/// connection may be used by every member; admins, super admins and the owner delete
/// another member's private connection (OF-2). Another member's private item is invisible.
pub fn work(
    role: Option<AccountRole>,
    mine: bool,
    private: bool,
    action: WorkAction,
) -> Result<Authorized, Denied> {
    use WorkAction::*;
    if role.is_none() {
        return Err(Denied::NotVisible);
    }
    match (action, mine, private) {
        (_, true, _) => allow(),
        (UseConnection, false, false) => allow(),
        (DeleteConnection, false, true) => {
            account(role, AccountAction::DeleteOthersPrivateConnection)
                .map_err(|_| Denied::NotVisible)
        }
        (ChangeZap | UseConnection, false, true) => Err(Denied::NotVisible),
        (ChangeZap | DeleteConnection, false, false) => deny_visible(),
    }
}

/// A Zap may use an integration version when the one access rule (`may_use_sql`) gives
/// its owner a road to it (PL-2, SH-6); without one the version is refused.
pub fn use_version(has_road: bool) -> Result<Authorized, Denied> {
    if has_road {
        allow()
    } else {
        Err(Denied::Forbidden)
    }
}

/// Gatehouse's operators see the platform's event deliveries and resend them (PL-3).
pub fn operator(is_operator: bool) -> Result<Authorized, Denied> {
    if is_operator {
        allow()
    } else {
        Err(Denied::NotVisible)
    }
}

/// Actions on an app instance (IN-2, IN-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceAction {
    View,
    Clone,
    Edit,
    Delete,
    Stop,
    Run,
    Share,
    EditLogin,
    /// See who can reach the instance and why (AX-1).
    ViewAccess,
}

pub fn instance(
    access: Option<InstanceAccess>,
    action: InstanceAction,
) -> Result<Authorized, Denied> {
    use InstanceAccess::*;
    use InstanceAction::*;
    let Some(access) = access else {
        return Err(Denied::NotVisible);
    };
    match (action, access) {
        (View | Clone, _) => allow(),
        (Edit | Delete | Stop | Run, Owner | Write) => allow(),
        (Edit | Delete | Stop | Run, Read) => deny_visible(),
        (Share | EditLogin | ViewAccess, Owner) => allow(),
        (Share | EditLogin | ViewAccess, Write | Read) => deny_visible(),
    }
}

/// What a personal access token may do: it narrows, never widens, its user's rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum TokenScope {
    Read,
    ReadWrite,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::ReadWrite => "read_write",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(Self::Read),
            "read_write" | "read+write" | "read-write" => Some(Self::ReadWrite),
            _ => None,
        }
    }
}

/// Whether a request through a token of `scope` may go ahead: reads always (the user's own
/// rights are checked after), changes only with `read_write`. The browser has no
/// scope: its session carries all of the user's rights.
pub fn token(scope: TokenScope, writes: bool) -> Result<Authorized, Denied> {
    match (scope, writes) {
        (_, false) => allow(),
        (TokenScope::ReadWrite, true) => allow(),
        (TokenScope::Read, true) => deny_visible(),
    }
}

/// Tokens are made and revoked in the browser only: a token that could make tokens could
/// widen its own scope or outlive its own revocation.
pub fn manage_tokens(through_a_token: bool) -> Result<Authorized, Denied> {
    match through_a_token {
        false => allow(),
        true => deny_visible(),
    }
}

#[cfg(test)]
mod tests {
    //! The full matrix, written out as tables so a reader can check it against SPEC.
    use super::*;
    use AccountRole::{Admin as AAdmin, Member as AMember, Owner as AOwner, SuperAdmin};
    use TeamRole::{Admin as TAdmin, Collaborator};

    const Y: bool = true;
    const N: bool = false;

    fn ok(r: Result<Authorized, Denied>) -> bool {
        r.is_ok()
    }

    // covers: PL-2, OF-2
    #[test]
    fn work_matrix() {
        use WorkAction::*;
        // (role, mine, private, action, expected): None = not visible, Some(false) = forbidden.
        let roles = [Some(AOwner), Some(SuperAdmin), Some(AAdmin), Some(AMember)];
        for role in roles {
            for action in [ChangeZap, UseConnection, DeleteConnection] {
                for private in [true, false] {
                    // Their own things: always.
                    assert!(
                        ok(work(role, true, private, action)),
                        "{role:?} own {action:?}"
                    );
                }
            }
            assert_eq!(work(role, false, true, ChangeZap), Err(Denied::NotVisible));
            assert_eq!(work(role, false, false, ChangeZap), Err(Denied::Forbidden));
            assert!(ok(work(role, false, false, UseConnection)));
            assert_eq!(
                work(role, false, true, UseConnection),
                Err(Denied::NotVisible)
            );
            assert_eq!(
                work(role, false, false, DeleteConnection),
                Err(Denied::Forbidden)
            );
            let admin = role != Some(AMember);
            assert_eq!(
                ok(work(role, false, true, DeleteConnection)),
                admin,
                "{role:?} deletes another's private connection"
            );
        }
        for action in [ChangeZap, UseConnection, DeleteConnection] {
            for (mine, private) in [(true, true), (false, false)] {
                assert_eq!(work(None, mine, private, action), Err(Denied::NotVisible));
            }
        }
        assert!(ok(use_version(Y)));
        assert_eq!(use_version(N), Err(Denied::Forbidden));
        assert!(ok(operator(Y)));
        assert_eq!(operator(N), Err(Denied::NotVisible));
    }

    //
    #[test]
    fn token_matrix() {
        for (scope, writes, expected) in [
            (TokenScope::Read, false, Y),
            (TokenScope::Read, true, N),
            (TokenScope::ReadWrite, false, Y),
            (TokenScope::ReadWrite, true, Y),
        ] {
            assert_eq!(
                ok(token(scope, writes)),
                expected,
                "{scope:?} writes={writes}"
            );
        }
        assert_eq!(token(TokenScope::Read, true), Err(Denied::Forbidden));
        assert!(ok(manage_tokens(false)));
        assert_eq!(manage_tokens(true), Err(Denied::Forbidden));
        assert_eq!(TokenScope::parse("read+write"), Some(TokenScope::ReadWrite));
        assert_eq!(TokenScope::parse("admin"), None);
    }

    // covers: OF-2, X-1, AC-3, HI-3, HI-4
    #[test]
    fn account_matrix() {
        // action, [owner, super_admin, admin, member], outsider always NotVisible
        let table: &[(AccountAction, [bool; 4])] = &[
            (AccountAction::ViewMembers, [Y, Y, Y, Y]),
            (AccountAction::ManageOwnWork, [Y, Y, Y, Y]),
            (AccountAction::ExportMemberCsv, [Y, Y, N, N]),
            (AccountAction::TransferOwnership, [Y, Y, N, N]),
            (AccountAction::ChooseNewOwner, [Y, Y, N, N]),
            (AccountAction::DeleteOthersPrivateConnection, [Y, Y, Y, N]),
            (AccountAction::ChooseConnectionExpiry, [Y, Y, Y, N]),
            (AccountAction::ManageScim, [Y, Y, N, N]),
            (AccountAction::ViewHistory, [Y, Y, Y, N]),
            (AccountAction::UndoRemoval, [Y, Y, N, N]),
            (AccountAction::ViewAccess, [Y, Y, N, N]),
            (
                AccountAction::RemoveMember {
                    target: AMember,
                    is_self: false,
                },
                [Y, Y, Y, N],
            ),
            (
                AccountAction::RemoveMember {
                    target: AAdmin,
                    is_self: false,
                },
                [Y, Y, Y, N],
            ),
            (
                AccountAction::RemoveMember {
                    target: SuperAdmin,
                    is_self: false,
                },
                [Y, Y, N, N],
            ),
            (
                AccountAction::RemoveMember {
                    target: AOwner,
                    is_self: false,
                },
                [N, N, N, N],
            ),
            (
                AccountAction::RemoveMember {
                    target: AMember,
                    is_self: true,
                },
                [N, N, N, N],
            ),
            (
                AccountAction::RemoveMember {
                    target: AAdmin,
                    is_self: true,
                },
                [N, N, N, N],
            ),
        ];
        for (action, expected) in table {
            for (role, want) in AccountRole::ALL.iter().zip(expected) {
                let got = account(Some(*role), *action);
                assert_eq!(ok(got), *want, "{role:?} {action:?}");
                if !want {
                    assert_eq!(
                        got,
                        Err(Denied::Forbidden),
                        "a member sees the account: 403"
                    );
                }
            }
            assert_eq!(
                account(None, *action),
                Err(Denied::NotVisible),
                "outsider {action:?}"
            );
        }
    }

    // covers: AM-4, OF-7
    #[test]
    fn provisioner_matrix() {
        use AccountRole::*;
        let roles = [Owner, SuperAdmin, Admin, Member];
        for target in roles {
            for to in roles {
                let allowed = target != Owner && to != Owner;
                assert_eq!(
                    provisioner(AccountAction::ChangeRole {
                        target,
                        to,
                        is_self: true
                    })
                    .is_ok(),
                    allowed,
                    "{target:?} -> {to:?}"
                );
            }
            assert_eq!(
                provisioner(AccountAction::RemoveMember {
                    target,
                    is_self: false
                })
                .is_ok(),
                target != Owner
            );
        }
        for other in [
            AccountAction::ViewMembers,
            AccountAction::ManageScim,
            AccountAction::HandOverOwnership,
            AccountAction::Invite { role: Member },
            AccountAction::ManageInvitations,
            AccountAction::TransferOwnership,
        ] {
            assert!(provisioner(other).is_err());
        }
    }

    // covers: AM-1, AM-2, AM-3
    #[test]
    fn account_role_change_and_hand_over_matrix() {
        use AccountRole::{Admin as A, Member as M, Owner as O, SuperAdmin as S};
        // For each actor: rows are the target's role (O, S, A, M), columns the new role (O, S, A, M).
        let table: [(AccountRole, [[bool; 4]; 4]); 4] = [
            (O, [[N, N, N, N], [N, Y, Y, Y], [N, Y, Y, Y], [N, Y, Y, Y]]),
            (S, [[N, N, N, N], [N, N, Y, Y], [N, N, Y, Y], [N, N, Y, Y]]),
            (A, [[N, N, N, N], [N, N, N, N], [N, N, Y, Y], [N, N, Y, Y]]),
            (M, [[N; 4]; 4]),
        ];
        let roles = [O, S, A, M];
        for (actor, grid) in table {
            for (target, row) in roles.iter().zip(grid) {
                for (to, want) in roles.iter().zip(row) {
                    let action = AccountAction::ChangeRole {
                        target: *target,
                        to: *to,
                        is_self: false,
                    };
                    let got = account(Some(actor), action);
                    assert_eq!(ok(got), want, "{actor:?} changes {target:?} to {to:?}");
                    if !want {
                        assert_eq!(got, Err(Denied::Forbidden));
                    }
                    // Nobody changes their own role, and outsiders see nothing.
                    let own = AccountAction::ChangeRole {
                        target: *target,
                        to: *to,
                        is_self: true,
                    };
                    assert!(!ok(account(Some(actor), own)));
                    assert_eq!(account(None, action), Err(Denied::NotVisible));
                }
            }
        }
        for (role, want) in [(O, Y), (S, N), (A, N), (M, N)] {
            assert_eq!(
                ok(account(Some(role), AccountAction::HandOverOwnership)),
                want,
                "{role:?}"
            );
        }
        // Invitations (AM-1): the invited role per actor, in the order O, S, A, M.
        for (actor, row) in [
            (O, [N, Y, Y, Y]),
            (S, [N, N, Y, Y]),
            (A, [N, N, Y, Y]),
            (M, [N, N, N, N]),
        ] {
            for (role, want) in roles.iter().zip(row) {
                let got = account(Some(actor), AccountAction::Invite { role: *role });
                assert_eq!(ok(got), want, "{actor:?} invites a {role:?}");
                assert_eq!(
                    account(None, AccountAction::Invite { role: *role }),
                    Err(Denied::NotVisible)
                );
            }
        }
        for (role, want) in [(O, Y), (S, Y), (A, Y), (M, N)] {
            assert_eq!(
                ok(account(Some(role), AccountAction::ManageInvitations)),
                want,
                "{role:?}"
            );
        }
        assert_eq!(
            account(None, AccountAction::HandOverOwnership),
            Err(Denied::NotVisible)
        );
    }

    // covers: TM-2, TM-3, TM-5, TM-7, TM-8, X-1, HI-2
    #[test]
    fn team_matrix() {
        // action, [admin, collaborator]
        let table: &[(TeamAction, [bool; 2])] = &[
            (TeamAction::View, [Y, Y]),
            (TeamAction::Comment, [Y, Y]),
            (TeamAction::EditOwnSubscription, [Y, Y]),
            (TeamAction::EditIntegration, [Y, N]),
            (TeamAction::ManageSharing, [Y, N]),
            (TeamAction::ManageJoinAndEmbed, [Y, N]),
            (TeamAction::Invite { role: TAdmin }, [Y, N]),
            (TeamAction::Invite { role: Collaborator }, [Y, Y]),
            (TeamAction::ChangeRole, [Y, N]),
            (
                TeamAction::RemoveMember {
                    target: TAdmin,
                    is_self: false,
                },
                [Y, N],
            ),
            (
                TeamAction::RemoveMember {
                    target: Collaborator,
                    is_self: false,
                },
                [Y, Y],
            ),
            (
                TeamAction::RemoveMember {
                    target: TAdmin,
                    is_self: true,
                },
                [Y, Y],
            ),
            (
                TeamAction::RemoveMember {
                    target: Collaborator,
                    is_self: true,
                },
                [Y, Y],
            ),
            (TeamAction::AssignContact, [Y, N]),
            (TeamAction::SendUpdate, [Y, N]),
            (TeamAction::ChangeFeedbackStatus, [Y, N]),
            (TeamAction::VerifyHistory, [Y, N]),
            (TeamAction::ViewAccess, [Y, N]),
        ];
        for (action, expected) in table {
            for (role, want) in TeamRole::ALL.iter().zip(expected) {
                let got = team(Some(*role), *action);
                assert_eq!(ok(got), *want, "{role:?} {action:?}");
            }
            assert_eq!(
                team(None, *action),
                Err(Denied::NotVisible),
                "non-member {action:?}"
            );
        }
    }

    // covers: SJ-2, AC-3
    #[test]
    fn integration_use_matrix() {
        use UseAction::*;
        // action, [(may_use, joinable) = (N,N), (N,Y), (Y,N), (Y,Y)]
        let table: &[(UseAction, [bool; 4])] =
            &[(SendFeedback, [N, N, Y, Y]), (RequestJoin, [N, Y, N, Y])];
        let cases = [(N, N), (N, Y), (Y, N), (Y, Y)];
        for (action, expected) in table {
            for ((may_use, joinable), want) in cases.iter().zip(expected) {
                let got = integration_use(*may_use, *joinable, *action);
                assert_eq!(ok(got), *want, "{action:?} use={may_use} join={joinable}");
                if !want {
                    assert_eq!(
                        got,
                        Err(Denied::NotVisible),
                        "refusals look like a missing integration"
                    );
                }
            }
        }
    }

    // covers: IN-2, IN-3, IN-4
    #[test]
    fn instance_matrix() {
        use InstanceAction::*;
        // action, [owner, write, read]
        let table: &[(InstanceAction, [bool; 3])] = &[
            (View, [Y, Y, Y]),
            (Clone, [Y, Y, Y]),
            (Edit, [Y, Y, N]),
            (Delete, [Y, Y, N]),
            (Stop, [Y, Y, N]),
            (Run, [Y, Y, N]),
            (Share, [Y, N, N]),
            (EditLogin, [Y, N, N]),
            (ViewAccess, [Y, N, N]),
        ];
        for (action, expected) in table {
            for (access, want) in InstanceAccess::ALL.iter().zip(expected) {
                assert_eq!(
                    ok(instance(Some(*access), *action)),
                    *want,
                    "{access:?} {action:?}"
                );
            }
            assert_eq!(
                instance(None, *action),
                Err(Denied::NotVisible),
                "none {action:?}"
            );
        }
    }
}
