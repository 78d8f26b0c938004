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

/// `next`: a local path to return to after verifying and signing in ("" for none).
pub async fn sign_up(
    st: &AppState,
    name: &str,
    email: &str,
    password: String,
    next: &str,
) -> Result<Uuid, AppError> {
    let name = validate::name(name, "name").map_err(|m| AppError::validation("name", m))?;
    let email = parse_email(email)?;
    validate::password(&password).map_err(|m| AppError::validation("password", m))?;

    let mut tx = st.pool.begin().await?;
    let taken: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(AppError::validation(
            "email",
            "An account with this email already exists.",
        ));
    }
    let hash = auth::hash_password(password).await?;
    let (id,): (Uuid,) = sqlx::query_as(
        "INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(email.as_str())
    .bind(&name)
    .bind(hash)
    .fetch_one(&mut *tx)
    .await?;
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
    Ok(id)
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

pub async fn sign_in(st: &AppState, email: &str, password: String) -> Result<Uuid, AppError> {
    let email = parse_email(email)?;
    let client = auth::client_addr();
    let mut conn = st.pool.acquire().await?;
    let (by_email, by_client): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE email = $1), count(*) FILTER (WHERE client = $2) \
         FROM signin_attempts \
         WHERE NOT succeeded AND at > now() - make_interval(mins => $3) AND (email = $1 OR client = $2)",
    )
    .bind(email.as_str())
    .bind(&client)
    .bind(WINDOW_MINUTES)
    .fetch_one(&mut *conn)
    .await?;
    if by_email >= MAX_FAILURES_PER_EMAIL || by_client >= MAX_FAILURES_PER_CLIENT {
        return Err(AppError::TooManyRequests(format!(
            "Too many failed sign-ins. Wait {WINDOW_MINUTES} minutes or reset your password."
        )));
    }
    let user: Option<(Uuid, String)> =
        sqlx::query_as("SELECT id, password_hash FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    let (id, stored) = match user {
        Some((id, h)) => (Some(id), Some(h)),
        None => (None, None),
    };
    let ok = auth::verify_password(stored, password).await && id.is_some();
    sqlx::query("INSERT INTO signin_attempts (email, client, succeeded) VALUES ($1, $2, $3)")
        .bind(email.as_str())
        .bind(&client)
        .bind(ok)
        .execute(&mut *conn)
        .await?;
    let Some(id) = id.filter(|_| ok) else {
        return Err(AppError::validation("password", BAD_CREDENTIALS));
    };
    auth::start_session(&mut conn, id, st.config.secure_cookies()).await?;
    Ok(id)
}

pub async fn sign_out(st: &AppState) -> Result<(), AppError> {
    let mut conn = st.pool.acquire().await?;
    auth::end_session(&mut conn, st.config.secure_cookies()).await
}

/// Look up a single-use token for `purpose` and lock it; a clear error when it cannot be used.
async fn take_token(
    conn: &mut PgConnection,
    text: &str,
    purpose: Purpose,
) -> Result<Uuid, AppError> {
    let what = match purpose {
        Purpose::VerifyEmail => "verification link",
        Purpose::ResetPassword => "password reset link",
    };
    let row: Option<(Uuid, bool, bool)> = sqlx::query_as(
        "SELECT user_id, used_at IS NOT NULL, expires_at <= now() FROM user_tokens \
         WHERE token_hash = $1 AND purpose = $2 FOR UPDATE",
    )
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
        Some((user_id, false, false)) => {
            sqlx::query("UPDATE user_tokens SET used_at = now() WHERE token_hash = $1")
                .bind(token::hash(text))
                .execute(conn)
                .await?;
            Ok(user_id)
        }
    }
}

pub async fn verify_email(st: &AppState, text: &str) -> Result<Uuid, AppError> {
    let mut tx = st.pool.begin().await?;
    let user_id = take_token(&mut tx, text, Purpose::VerifyEmail).await?;
    sqlx::query(
        "UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1",
    )
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
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
        return Err(AppError::Conflict(
            "Your email address is already verified.".into(),
        ));
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

pub async fn reset_password(st: &AppState, text: &str, password: String) -> Result<Uuid, AppError> {
    validate::password(&password).map_err(|m| AppError::validation("password", m))?;
    let hash = auth::hash_password(password).await?;
    let mut tx = st.pool.begin().await?;
    let user_id = take_token(&mut tx, text, Purpose::ResetPassword).await?;
    // The link proved control of the mailbox, so the address counts as verified;
    // every existing session ends (DOMAIN: sessions die on a password reset).
    sqlx::query(
        "UPDATE users SET password_hash = $2, email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1",
    )
    .bind(user_id)
    .bind(hash)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
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
