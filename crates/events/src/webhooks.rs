//! A partner's webhook endpoints and their deliveries, as the partner's people manage
//! them: register (the secret is shown once), change, rotate the secret (the old one
//! keeps signing for 24 h), list deliveries, replay one. Scoped to the partner here
//! (`Ctx::partner_id`) and underneath by row-level security on the partner setting.

use crate::entity::{webhook_delivery, webhook_endpoint};
use crate::{DeliveryStatus, EventType, Events, map_err, signing};
use chrono::{DateTime, Utc};
use kernel::{Ctx, Error, Page, PageRequest};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait,
};
use uuid::Uuid;

/// How long a rotated-out secret keeps signing.
pub const PREVIOUS_SECRET_HOURS: i64 = 24;
/// Endpoints one partner may have.
pub const MAX_ENDPOINTS: u64 = 20;

/// An endpoint as the partner sees it (never its secret).
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub url: String,
    pub event_types: Vec<EventType>,
    pub active: bool,
    pub consecutive_failures: i32,
    pub disabled_at: Option<DateTime<Utc>>,
    /// Until when the previous secret still signs, after a rotation.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<webhook_endpoint::Model> for Endpoint {
    fn from(m: webhook_endpoint::Model) -> Self {
        Endpoint {
            id: m.id,
            partner_id: m.partner_id,
            url: m.url,
            event_types: m
                .event_types
                .iter()
                .filter_map(|t| EventType::parse(t))
                .collect(),
            active: m.active,
            consecutive_failures: m.consecutive_failures,
            disabled_at: m.disabled_at.map(Into::into),
            previous_secret_expires_at: m.previous_secret_expires_at.map(Into::into),
            created_at: m.created_at.into(),
        }
    }
}

/// An endpoint and its signing secret: the one time the secret is shown.
#[derive(Clone, Debug)]
pub struct EndpointWithSecret {
    pub endpoint: Endpoint,
    pub secret: String,
}

#[derive(Clone, Debug)]
pub struct NewEndpoint {
    pub url: String,
    pub event_types: Vec<EventType>,
    pub active: bool,
}

#[derive(Clone, Debug, Default)]
pub struct UpdateEndpoint {
    pub url: Option<String>,
    pub event_types: Option<Vec<EventType>>,
    /// Turning an endpoint on again also clears its disabling after failures.
    pub active: Option<bool>,
}

/// One event to one endpoint.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_response_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<webhook_delivery::Model> for Delivery {
    fn from(m: webhook_delivery::Model) -> Self {
        Delivery {
            id: m.id,
            partner_id: m.partner_id,
            endpoint_id: m.endpoint_id,
            event_id: m.event_id,
            event_type: m.event_type,
            status: m.status,
            attempts: m.attempts,
            next_attempt_at: (m.status == DeliveryStatus::Pending)
                .then(|| m.next_attempt_at.into()),
            last_attempt_at: m.last_attempt_at.map(Into::into),
            last_response_code: m.last_response_code,
            last_error: m.last_error,
            delivered_at: m.delivered_at.map(Into::into),
            created_at: m.created_at.into(),
        }
    }
}

/// The partner whose people manage webhooks: a partner's person (API clients read
/// and write business data, not the partner's integration settings).
fn partner_person(ctx: &Ctx) -> Result<Uuid, Error> {
    ctx.require_user()?;
    ctx.partner_id().map(|p| p.0).ok_or_else(|| {
        ctx.choice_required()
            .unwrap_or(Error::Forbidden("reserved to the partner firm's people"))
    })
}

fn check_types(types: Vec<EventType>) -> Result<Vec<String>, Error> {
    if types.iter().any(|t| !t.for_partners()) {
        return Err(Error::validation(
            "eventTypes",
            "événement interne au réseau : il n'est jamais envoyé aux partenaires",
        ));
    }
    let mut codes: Vec<String> = types.iter().map(|t| t.as_str().to_owned()).collect();
    codes.sort();
    codes.dedup();
    if codes.is_empty() {
        return Err(Error::validation(
            "eventTypes",
            "au moins un type d'événement",
        ));
    }
    Ok(codes)
}

impl Events {
    pub async fn create_endpoint(
        &self,
        ctx: &Ctx,
        new: NewEndpoint,
    ) -> Result<EndpointWithSecret, Error> {
        let partner = partner_person(ctx)?;
        let url = self.outbound.check_url("url", &new.url)?;
        let types = check_types(new.event_types)?;
        let tx = self.db.scoped(ctx).await?;
        let count = webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::PartnerId.eq(partner))
            .count(&*tx)
            .await
            .map_err(map_err)?;
        if count >= MAX_ENDPOINTS {
            return Err(Error::conflict(format!(
                "{MAX_ENDPOINTS} adresses au plus par partenaire"
            )));
        }
        let secret = signing::new_secret();
        let now = Utc::now();
        let m = webhook_endpoint::ActiveModel {
            partner_id: Set(partner),
            id: Set(Uuid::now_v7()),
            url: Set(url),
            event_types: Set(types),
            active: Set(new.active),
            secret: Set(secret.clone()),
            previous_secret: Set(None),
            previous_secret_expires_at: Set(None),
            consecutive_failures: Set(0),
            failing_since: Set(None),
            disabled_at: Set(None),
            created_by: Set(ctx.user_id().map(|u| u.0)),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
        }
        .insert(&*tx)
        .await
        .map_err(map_err)?;
        tx.commit().await?;
        Ok(EndpointWithSecret {
            endpoint: m.into(),
            secret,
        })
    }

    pub async fn update_endpoint(
        &self,
        ctx: &Ctx,
        id: Uuid,
        change: UpdateEndpoint,
    ) -> Result<Endpoint, Error> {
        let partner = partner_person(ctx)?;
        let url = change
            .url
            .map(|u| self.outbound.check_url("url", &u))
            .transpose()?;
        let types = change.event_types.map(check_types).transpose()?;
        let tx = self.db.scoped(ctx).await?;
        let mut update = webhook_endpoint::Entity::update_many()
            .col_expr(
                webhook_endpoint::Column::UpdatedAt,
                Expr::current_timestamp(),
            )
            .filter(webhook_endpoint::Column::PartnerId.eq(partner))
            .filter(webhook_endpoint::Column::Id.eq(id));
        if let Some(u) = url {
            update = update.col_expr(webhook_endpoint::Column::Url, Expr::value(u));
        }
        if let Some(t) = types {
            update = update.col_expr(webhook_endpoint::Column::EventTypes, Expr::value(t));
        }
        if let Some(a) = change.active {
            update = update.col_expr(webhook_endpoint::Column::Active, Expr::value(a));
            if a {
                update = update
                    .col_expr(
                        webhook_endpoint::Column::DisabledAt,
                        Expr::value(None::<DateTime<Utc>>),
                    )
                    .col_expr(
                        webhook_endpoint::Column::ConsecutiveFailures,
                        Expr::value(0),
                    )
                    .col_expr(
                        webhook_endpoint::Column::FailingSince,
                        Expr::value(None::<DateTime<Utc>>),
                    );
            }
        }
        let m = db::update_one(&tx, update, map_err).await?;
        tx.commit().await?;
        Ok(m.into())
    }

    /// A new secret, shown this once; the previous one keeps signing (both
    /// signatures are sent) for 24 h, so receivers can switch over.
    pub async fn rotate_secret(&self, ctx: &Ctx, id: Uuid) -> Result<EndpointWithSecret, Error> {
        let partner = partner_person(ctx)?;
        let tx = self.db.scoped(ctx).await?;
        let old = webhook_endpoint::Entity::find_by_id((partner, id))
            .lock_exclusive()
            .one(&*tx)
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        let secret = signing::new_secret();
        let until = Utc::now() + chrono::Duration::hours(PREVIOUS_SECRET_HOURS);
        let mut am: webhook_endpoint::ActiveModel = old.clone().into();
        am.previous_secret = Set(Some(old.secret));
        am.previous_secret_expires_at = Set(Some(until.into()));
        am.secret = Set(secret.clone());
        am.updated_at = Set(Utc::now().into());
        let m = am.update(&*tx).await.map_err(map_err)?;
        tx.commit().await?;
        Ok(EndpointWithSecret {
            endpoint: m.into(),
            secret,
        })
    }

    pub async fn list_endpoints(
        &self,
        ctx: &Ctx,
        page: PageRequest,
    ) -> Result<Page<Endpoint>, Error> {
        let partner = partner_person(ctx)?;
        let select = webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::PartnerId.eq(partner))
            .apply_if(page.after, |q, a| {
                q.filter(webhook_endpoint::Column::Id.gt(a))
            })
            .order_by_asc(webhook_endpoint::Column::Id)
            .limit(page.fetch());
        let rows = self.db.select_all(ctx, select, map_err).await?;
        Ok(Page::from_rows(
            rows.into_iter().map(Into::into).collect(),
            &page,
        ))
    }

    pub async fn endpoints_by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Endpoint>, Error> {
        let Ok(partner) = partner_person(ctx) else {
            return Ok(vec![]);
        };
        let select = webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::PartnerId.eq(partner))
            .filter(webhook_endpoint::Column::Id.is_in(ids.to_vec()));
        let rows = self.db.select_all(ctx, select, map_err).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// An endpoint's deliveries, newest first.
    pub async fn list_deliveries(
        &self,
        ctx: &Ctx,
        endpoint_id: Uuid,
        page: PageRequest,
    ) -> Result<Page<Delivery>, Error> {
        let partner = partner_person(ctx)?;
        let select = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::PartnerId.eq(partner))
            .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
            .apply_if(page.after, |q, a| {
                q.filter(webhook_delivery::Column::Id.lt(a))
            })
            .order_by_desc(webhook_delivery::Column::Id)
            .limit(page.fetch());
        let rows = self.db.select_all(ctx, select, map_err).await?;
        Ok(Page::from_rows(
            rows.into_iter().map(Into::into).collect(),
            &page,
        ))
    }

    pub async fn deliveries_by_ids(&self, ctx: &Ctx, ids: &[Uuid]) -> Result<Vec<Delivery>, Error> {
        let Ok(partner) = partner_person(ctx) else {
            return Ok(vec![]);
        };
        let select = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::PartnerId.eq(partner))
            .filter(webhook_delivery::Column::Id.is_in(ids.to_vec()));
        let rows = self.db.select_all(ctx, select, map_err).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Sends a delivery again, delivered or failed alike, with a new 24 h of retries:
    /// same event id, so a receiver that already has it can tell.
    pub async fn replay_delivery(&self, ctx: &Ctx, id: Uuid) -> Result<Delivery, Error> {
        let partner = partner_person(ctx)?;
        let tx = self.db.scoped(ctx).await?;
        let d = webhook_delivery::Entity::find_by_id((partner, id))
            .lock_exclusive()
            .one(&*tx)
            .await
            .map_err(map_err)?
            .ok_or(Error::NotFound)?;
        if d.status == DeliveryStatus::Pending {
            return Err(Error::conflict("cette livraison est déjà en cours"));
        }
        let now = Utc::now();
        let mut am: webhook_delivery::ActiveModel = d.into();
        am.status = Set(DeliveryStatus::Pending);
        am.next_attempt_at = Set(now.into());
        am.retry_until = Set((now + chrono::Duration::hours(crate::worker::RETRY_HOURS)).into());
        let m = am.update(&*tx).await.map_err(map_err)?;
        tx.commit().await?;
        Ok(m.into())
    }
}
