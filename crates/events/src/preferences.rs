//! A person's choice about reminders: on unless they turn them off. Invitations are
//! not reminders and are always sent.

use crate::entity::notification_preference;
use crate::{Events, map_err};
use kernel::{Ctx, Error};
use sea_orm::{ConnectionTrait, EntityTrait};

impl Events {
    /// Whether the signed-in person gets reminders.
    pub async fn reminders_enabled(&self, ctx: &Ctx) -> Result<bool, Error> {
        let user = ctx.require_user()?;
        let rows = self
            .db
            .select_all(
                ctx,
                notification_preference::Entity::find_by_id(user.0),
                map_err,
            )
            .await?;
        Ok(rows.first().is_none_or(|p| p.reminders))
    }

    /// Turns the signed-in person's reminders on or off.
    pub async fn set_reminders(&self, ctx: &Ctx, enabled: bool) -> Result<bool, Error> {
        let user = ctx.require_user()?;
        let tx = self.db.scoped(ctx).await?;
        tx.execute_raw(db::stmt(
            "insert into notification_preferences (user_id, reminders) values ($1, $2) \
             on conflict (user_id) do update set reminders = excluded.reminders, updated_at = now()",
            vec![user.0.into(), enabled.into()],
        ))
        .await
        .map_err(map_err)?;
        tx.commit().await?;
        Ok(enabled)
    }
}
