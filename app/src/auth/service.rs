//! Sign-in rules on the server: validation, rate limits, tokens and their mails.
use crate::domain::{email::EmailAddress, validate};
use crate::error::AppError;
use crate::server::history::{self, Entry};
use crate::server::{auth, mail, token, AppState};
use sqlx::PgConnection;
use uuid::Uuid;

/// Failed sign-ins allowed per address, and per client, in [`WINDOW_MINUTES`].
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;
pub const MAX_FAILURES_PER_CLIENT: i64 = 30;
pub const WINDOW_MINUTES: i32 = 15;
pub const VERIFY_HOURS: i32 = 48;
pub const RESET_HOURS: i32 = 1;
pub const BAD_CREDENTIALS: &str = "Incorrect email or password.";

#[derive(Clone, Copy)]
enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
        }
    }
}

fn parse_email(input: &str) -> Result<EmailAddress, AppError> {
    EmailAddress::parse(input).map_err(|m| AppError::validation("email", m))
}

/// Count one anonymous, costly request of `kind` from this client, or refuse it when the
/// client made `max` of them in the last hour. Counting and checking happen under one
/// lock per (kind, client), so parallel requests cannot all slip under the limit.
async fn per_client(st: &AppState, kind: &str, max: i64) -> Result<(), AppError> {
    let client = auth::client_addr();
    let mut tx = st.pool.begin().await?;
    crate::server::hold_locks(&mut tx, &[format!("{kind}:{client}")]).await?;
    let (n,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM client_requests WHERE kind = $1 AND client = $2 AND at > now() - interval '1 hour'",
    )
    .bind(kind)
    .bind(&client)
    .fetch_one(&mut *tx)
    .await?;
    if n >= max {
        return Err(AppError::TooManyRequests(
            "Too many requests from your network just now. Wait an hour and try again.".into(),
        ));
    }
    sqlx::query("INSERT INTO client_requests (client, kind) VALUES ($1, $2)")
        .bind(&client)
        .bind(kind)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// `next`: a local path to return to after verifying and signing in ("" for none).
///
/// The answer is the same whether or not the address has an account (no account
/// enumeration): a new address gets its verification mail, a known one a mail saying
/// someone tried to sign up with it. The password is hashed either way, so both take
/// as long, and outside any transaction.
pub async fn sign_up(
    st: &AppState,
    name: &str,
    email: &str,
    password: String,
    next: &str,
) -> Result<(), AppError> {
    let name = validate::name(name, "name").map_err(|m| AppError::validation("name", m))?;
    let email = parse_email(email)?;
    validate::password(&password).map_err(|m| AppError::validation("password", m))?;
    per_client(st, "sign_up", st.config.limits.per_client_per_hour).await?;
    let hash = auth::hash_password(password).await?;

    let mut tx = st.pool.begin().await?;
    let id: Option<(Uuid,)> = sqlx::query_as(
        "INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3) \
         ON CONFLICT (email) DO NOTHING RETURNING id",
    )
    .bind(email.as_str())
    .bind(&name)
    .bind(&hash)
    .fetch_optional(&mut *tx)
    .await?;
    let id = match id {
        Some((id,)) => Some(id),
        // Never verified: nobody has proved the address yet, so whoever signs up now
        // starts over (their name and password; earlier sessions and links end). Someone
        // who signed up first with another's address keeps nothing (no pre-hijacking).
        None => restart_unverified(&mut tx, email.as_str(), &name, &hash).await?,
    };
    let Some(id) = id else {
        let body = format!(
            "Hello,\n\nSomeone (we hope you) tried to sign up for Gatehouse with this address, which already has an account. \
             Sign in here:\n\n{}\n\nForgot your password? Choose a new one here:\n\n{}\n\n\
             If it was not you, you can ignore this message: nothing changed.\n",
            st.config.link("/signin"),
            st.config.link("/forgot"),
        );
        mail::enqueue(
            &mut tx,
            email.as_str(),
            "You already have a Gatehouse account",
            &body,
        )
        .await?;
        tx.commit().await?;
        return Ok(());
    };
    send_verification(&mut tx, st, id, email.as_str(), &name, next).await?;
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(id),
            action: "user.signed_up",
            subject: Some(format!("user:{id}")),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Give a never-verified account with this address to the new sign-up: new name and
/// password, no sessions, no outstanding links. `None` when the address is verified.
async fn restart_unverified(
    conn: &mut PgConnection,
    email: &str,
    name: &str,
    hash: &str,
) -> Result<Option<Uuid>, AppError> {
    let row: Option<(Uuid,)> = sqlx::query_as(
        "UPDATE users SET name = $2, password_hash = $3 WHERE email = $1 AND email_verified_at IS NULL RETURNING id",
    )
    .bind(email)
    .bind(name)
    .bind(hash)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id,)) = row else {
        return Ok(None);
    };
    end_every_door(conn, id).await?;
    sqlx::query("UPDATE user_tokens SET used_at = now() WHERE user_id = $1 AND used_at IS NULL")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(Some(id))
}

/// Whoever held the account before this moment loses it: every session ends and every
/// API token is revoked (a new password, or a sign-up starting over).
async fn end_every_door(conn: &mut PgConnection, user: Uuid) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn issue_token(
    conn: &mut PgConnection,
    user_id: Uuid,
    purpose: Purpose,
    hours: i32,
) -> Result<String, AppError> {
    let (text, hash) = token::new_token();
    sqlx::query(
        "INSERT INTO user_tokens (token_hash, user_id, purpose, expires_at) \
         VALUES ($1, $2, $3, now() + make_interval(hours => $4))",
    )
    .bind(hash)
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(hours)
    .execute(conn)
    .await?;
    Ok(text)
}

async fn send_verification(
    conn: &mut PgConnection,
    st: &AppState,
    user_id: Uuid,
    email: &str,
    name: &str,
    next: &str,
) -> Result<(), AppError> {
    let t = issue_token(conn, user_id, Purpose::VerifyEmail, VERIFY_HOURS).await?;
    let link = match validate::local_path(next) {
        Some(n) => st.config.link(&format!(
            "/verify?token={t}&next={}",
            validate::query_value(n)
        )),
        None => st.config.link(&format!("/verify?token={t}")),
    };
    let body = format!(
        "Hello {name},\n\nPlease confirm that this is your email address for Gatehouse:\n\n{link}\n\n\
         The link works once and expires in {VERIFY_HOURS} hours. If you did not sign up, ignore this message.\n"
    );
    mail::enqueue(conn, email, "Confirm your email address", &body).await?;
    Ok(())
}

/// Sign in (AC-1). The failure limits are decided atomically: under a lock per address
/// and one per client, the attempt is counted as a failure before the password is
/// checked, and turned into a success only after; so parallel guesses all count.
pub async fn sign_in(st: &AppState, email: &str, password: String) -> Result<Uuid, AppError> {
    let email = parse_email(email)?;
    let client = auth::client_addr();
    let mut tx = st.pool.begin().await?;
    crate::server::hold_locks(
        &mut tx,
        &[format!("signin:{email}"), format!("signin-client:{client}")],
    )
    .await?;
    let (by_email, by_client): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE email = $1), count(*) FILTER (WHERE client = $2) \
         FROM signin_attempts \
         WHERE NOT succeeded AND at > now() - make_interval(mins => $3) AND (email = $1 OR client = $2)",
    )
    .bind(email.as_str())
    .bind(&client)
    .bind(WINDOW_MINUTES)
    .fetch_one(&mut *tx)
    .await?;
    if by_email >= MAX_FAILURES_PER_EMAIL || by_client >= MAX_FAILURES_PER_CLIENT {
        return Err(AppError::TooManyRequests(format!(
            "Too many failed sign-ins. Wait {WINDOW_MINUTES} minutes or reset your password."
        )));
    }
    let (attempt, user): (i64, Option<(Uuid, String)>) = {
        let (attempt,): (i64,) = sqlx::query_as(
            "INSERT INTO signin_attempts (email, client, succeeded) VALUES ($1, $2, false) RETURNING id",
        )
        .bind(email.as_str())
        .bind(&client)
        .fetch_one(&mut *tx)
        .await?;
        let user = sqlx::query_as("SELECT id, password_hash FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        (attempt, user)
    };
    tx.commit().await?;

    let (id, stored) = match user {
        Some((id, h)) => (Some(id), Some(h)),
        None => (None, None),
    };
    let ok = auth::verify_password(stored.clone(), password).await? && id.is_some();
    let (Some(id), Some(stored)) = (id.filter(|_| ok), stored) else {
        return Err(AppError::validation("password", BAD_CREDENTIALS));
    };
    // The session starts only if the password is still the one just verified, with the
    // user's row locked: a reset, a fresh sign-up or a SCIM takeover that changed it
    // meanwhile (and ended every session) is not undone by a check that began before it.
    let mut tx = st.pool.begin().await?;
    let same: Option<(bool,)> =
        sqlx::query_as("SELECT password_hash = $2 FROM users WHERE id = $1 FOR UPDATE")
            .bind(id)
            .bind(&stored)
            .fetch_optional(&mut *tx)
            .await?;
    if same != Some((true,)) {
        return Err(AppError::validation("password", BAD_CREDENTIALS));
    }
    sqlx::query("UPDATE signin_attempts SET succeeded = true WHERE id = $1")
        .bind(attempt)
        .execute(&mut *tx)
        .await?;
    auth::start_session(&mut tx, id, st.config.secure_cookies()).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn sign_out(st: &AppState) -> Result<(), AppError> {
    let mut conn = st.pool.acquire().await?;
    auth::end_session(&mut conn, st.config.secure_cookies()).await
}

/// The user a single-use token of `purpose` belongs to, if it can still be used; with
/// `lock`, the token row stays locked until the transaction ends.
async fn check_token_in(
    conn: &mut PgConnection,
    text: &str,
    purpose: Purpose,
    lock: bool,
) -> Result<Uuid, AppError> {
    let what = match purpose {
        Purpose::VerifyEmail => "verification link",
        Purpose::ResetPassword => "password reset link",
    };
    let row: Option<(Uuid, bool, bool)> = sqlx::query_as(&format!(
        "SELECT user_id, used_at IS NOT NULL, expires_at <= now() FROM user_tokens \
         WHERE token_hash = $1 AND purpose = $2{}",
        if lock { " FOR UPDATE" } else { "" }
    ))
    .bind(token::hash(text))
    .bind(purpose.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        None => Err(AppError::validation(
            "token",
            format!("This {what} is not valid. Check that you copied all of it."),
        )),
        Some((_, true, _)) => Err(AppError::validation(
            "token",
            format!("This {what} was already used."),
        )),
        Some((_, _, true)) => Err(AppError::validation(
            "token",
            format!("This {what} has expired. Request a new one."),
        )),
        Some((user_id, false, false)) => Ok(user_id),
    }
}

/// Whether a token could be used now (nothing is locked or spent).
async fn check_token(
    conn: &mut PgConnection,
    text: &str,
    purpose: Purpose,
) -> Result<Uuid, AppError> {
    check_token_in(conn, text, purpose, false).await
}

/// Look up a single-use token for `purpose`, lock it and spend it; a clear error when it cannot be used.
async fn take_token(
    conn: &mut PgConnection,
    text: &str,
    purpose: Purpose,
) -> Result<Uuid, AppError> {
    let user_id = check_token_in(&mut *conn, text, purpose, true).await?;
    sqlx::query("UPDATE user_tokens SET used_at = now() WHERE token_hash = $1")
        .bind(token::hash(text))
        .execute(conn)
        .await?;
    Ok(user_id)
}

/// The user's address is proved theirs: mark it, and turn instance invitations waiting
/// for that address into shares (IN-2).
async fn verified(conn: &mut PgConnection, user_id: Uuid) -> Result<(), AppError> {
    let (email,): (String,) = sqlx::query_as(
        "UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1 RETURNING email",
    )
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?;
    crate::instances::repo::claim_invites(conn, user_id, &email).await?;
    Ok(())
}

/// Verify an address with its mailed link and the account's password: the link proves
/// the mailbox, the password proves it is the mailbox owner's own sign-up (someone who
/// signed up with another's address cannot have them confirm it for him).
pub async fn verify_email(st: &AppState, text: &str, password: String) -> Result<Uuid, AppError> {
    let user_id = {
        let mut conn = st.pool.acquire().await?;
        check_token(&mut conn, text, Purpose::VerifyEmail).await?
    };
    let (stored,): (String,) = sqlx::query_as("SELECT password_hash FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&st.pool)
        .await?;
    if !auth::verify_password(Some(stored), password).await? {
        return Err(AppError::validation(
            "password",
            "That is not the password of this sign-up. If you did not sign up yourself, \
             choose a password with “Forgot your password?” instead.",
        ));
    }
    let mut tx = st.pool.begin().await?;
    let user_id = take_token(&mut tx, text, Purpose::VerifyEmail).await?;
    verified(&mut tx, user_id).await?;
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(user_id),
            action: "user.email_verified",
            subject: Some(format!("user:{user_id}")),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user_id)
}

pub async fn resend_verification(st: &AppState) -> Result<(), AppError> {
    let mut tx = st.pool.begin().await?;
    let me = auth::require_user(&mut tx).await?;
    if me.email_verified {
        return Err(crate::error::Refusal::AlreadyVerified.into());
    }
    let (recent,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM user_tokens WHERE user_id = $1 AND purpose = 'verify_email' \
         AND created_at > now() - interval '10 minutes'",
    )
    .bind(me.id)
    .fetch_one(&mut *tx)
    .await?;
    if recent >= 3 {
        return Err(AppError::TooManyRequests(
            "We sent several links just now; wait a few minutes.".into(),
        ));
    }
    send_verification(&mut tx, st, me.id, &me.email, &me.name, "").await?;
    tx.commit().await?;
    Ok(())
}

/// Always answers the same, whether or not the address has an account.
pub async fn request_password_reset(st: &AppState, email: &str) -> Result<(), AppError> {
    let email = parse_email(email)?;
    per_client(st, "reset_request", st.config.limits.per_client_per_hour).await?;
    let mut tx = st.pool.begin().await?;
    let user: Option<(Uuid, String, i64)> = sqlx::query_as(
        "SELECT u.id, u.name, (SELECT count(*) FROM user_tokens t WHERE t.user_id = u.id \
           AND t.purpose = 'reset_password' AND t.created_at > now() - interval '1 hour') \
         FROM users u WHERE u.email = $1",
    )
    .bind(email.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((id, name, recent)) = user {
        if recent < 3 {
            let t = issue_token(&mut tx, id, Purpose::ResetPassword, RESET_HOURS).await?;
            let link = st.config.link(&format!("/reset?token={t}"));
            let body = format!(
                "Hello {name},\n\nSomeone asked to reset your Gatehouse password. To choose a new one, open:\n\n{link}\n\n\
                 The link works once and expires in {RESET_HOURS} hour. If it was not you, ignore this message.\n"
            );
            mail::enqueue(
                &mut tx,
                email.as_str(),
                "Reset your Gatehouse password",
                &body,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// How long the link to choose a first password lives (people provisioned over SCIM).
pub const SET_PASSWORD_HOURS: i32 = 72;

/// Mail a person whom their company's identity provider provisioned a link to choose a
/// password (a reset link that lives `SET_PASSWORD_HOURS`).
pub async fn mail_set_password(
    conn: &mut PgConnection,
    st: &AppState,
    user_id: Uuid,
    email: &str,
    name: &str,
    account_name: &str,
) -> Result<(), AppError> {
    let t = issue_token(conn, user_id, Purpose::ResetPassword, SET_PASSWORD_HOURS).await?;
    let link = st.config.link(&format!("/reset?token={t}"));
    let body = format!(
        "Hello {name},\n\nYour company's identity provider gave you access to the account \"{account_name}\" on Gatehouse. \
         To choose your password, open:\n\n{link}\n\nThe link works once and expires in {SET_PASSWORD_HOURS} hours; \
         after that, use “Forgot your password?” on the sign-in page.\n"
    );
    mail::enqueue(conn, email, "Choose your Gatehouse password", &body).await?;
    Ok(())
}

/// Choose a new password with a reset link. The link is checked before the new password
/// is hashed (hashing is the expensive part), and hashing happens outside the transaction.
pub async fn reset_password(st: &AppState, text: &str, password: String) -> Result<Uuid, AppError> {
    validate::password(&password).map_err(|m| AppError::validation("password", m))?;
    per_client(st, "reset_password", st.config.limits.per_client_per_hour).await?;
    {
        let mut conn = st.pool.acquire().await?;
        check_token(&mut conn, text, Purpose::ResetPassword).await?;
    }
    let hash = auth::hash_password(password).await?;
    let mut tx = st.pool.begin().await?;
    // Taken again under its lock: a link used meanwhile is refused here.
    let user_id = take_token(&mut tx, text, Purpose::ResetPassword).await?;
    // The link proved control of the mailbox, so the address counts as verified;
    // every existing session ends (DOMAIN: sessions die on a password reset).
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(user_id)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    verified(&mut tx, user_id).await?;
    end_every_door(&mut tx, user_id).await?;
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(user_id),
            action: "user.password_reset",
            subject: Some(format!("user:{user_id}")),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user_id)
}
