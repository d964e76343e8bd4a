//! Pages anyone can see: `/`, `/models`, `/models/{author}/{slug}`, `/docs`.

pub mod docs;
pub mod landing;
pub mod model;
pub mod models;
