//! Reading generation records, always within the caller's organization.

use entity::generation;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::accounts::tenant::OrgScope;

pub async fn find(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
    id: &str,
) -> Result<Option<generation::Model>, sea_orm::DbErr> {
    generation::Entity::find_by_id(id.to_owned())
        .filter(generation::Column::OrgId.eq(scope.org_id()))
        .one(db)
        .await
}
