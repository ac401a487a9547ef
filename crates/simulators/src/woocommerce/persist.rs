//! Saving and restoring the simulator's sites, so that a demo stopped and started again finds
//! its products (and their ids, which techOMS's channel bindings name) as it left them.
//!
//! Kept: each site's settings, REST keys, posts, attachments, terms and id sequences. Not
//! kept: faults, the request log and the write counter (transient state of one process).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::WooSim;
use super::store::{ApiKey, Attachment, Post, Store, StoreSettings, Term};

#[derive(Serialize, Deserialize)]
struct Snapshot {
    sites: Vec<SiteSnapshot>,
}

#[derive(Serialize, Deserialize)]
struct SiteSnapshot {
    site: String,
    settings: StoreSettings,
    keys: Vec<ApiKey>,
    next_post_id: u64,
    next_term_id: u64,
    next_meta_id: u64,
    key_counter: u64,
    posts: Vec<Post>,
    attachments: Vec<Attachment>,
    categories: Vec<Term>,
    tags: Vec<Term>,
}

impl WooSim {
    /// Every site's durable state as JSON.
    pub fn snapshot(&self) -> Value {
        let handles: Vec<_> = self
            .shared
            .stores
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        let sites = handles
            .iter()
            .map(|h| {
                h.with_store(|s| SiteSnapshot {
                    site: s.site.clone(),
                    settings: s.settings.clone(),
                    keys: s.keys.clone(),
                    next_post_id: s.next_post_id,
                    next_term_id: s.next_term_id,
                    next_meta_id: s.next_meta_id,
                    key_counter: s.key_counter,
                    posts: s.posts.values().cloned().collect(),
                    attachments: s.attachments.values().cloned().collect(),
                    categories: s.categories.clone(),
                    tags: s.tags.clone(),
                })
            })
            .collect();
        serde_json::to_value(Snapshot { sites }).unwrap_or(Value::Null)
    }

    /// Add the sites of a [`Self::snapshot`], replacing any of the same name. Nothing
    /// changes when the snapshot does not parse.
    pub fn restore(&self, snapshot: &Value) -> Result<(), String> {
        let snap: Snapshot = serde_json::from_value(snapshot.clone())
            .map_err(|e| format!("WooCommerce simulator snapshot: {e}"))?;
        for s in snap.sites {
            let handle = self.add_store(&s.site, s.settings.clone());
            let site = s.site.clone();
            let settings = s.settings.clone();
            let restored = Store {
                keys: s.keys,
                next_post_id: s.next_post_id,
                next_term_id: s.next_term_id,
                next_meta_id: s.next_meta_id,
                key_counter: s.key_counter,
                posts: s.posts.into_iter().map(|p| (p.id, p)).collect(),
                attachments: s
                    .attachments
                    .into_iter()
                    .map(|a| (a.id, a))
                    .collect::<BTreeMap<_, _>>(),
                categories: s.categories,
                tags: s.tags,
                ..Store::new(&site, settings)
            };
            handle.with_store(|store| *store = restored);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimClock;
    use crate::woocommerce::{KeyPermissions, generate};

    #[test]
    fn a_restored_site_keeps_its_posts_keys_and_sequences() {
        let sim = WooSim::new(SimClock::system());
        let site = sim.add_store("shop", StoreSettings::default());
        let key = site.issue_key(KeyPermissions::ReadWrite);
        let products = generate(5, 2);
        for p in &products[..4] {
            site.insert(p).unwrap();
        }
        let snap = sim.snapshot();

        let again = WooSim::new(SimClock::system());
        again.restore(&snap).unwrap();
        let site2 = again.store("shop").unwrap();
        assert_eq!(site2.posts(), site.posts());
        assert!(site2.with_store(|s| s.keys.contains(&key)));
        let before: Vec<u64> = site.posts().iter().map(|p| p.id).collect();
        // The restored store still knows the SKUs it holds, and its id sequence goes on.
        assert!(site2.insert(&products[0]).is_err());
        let (id, _) = site2.insert(&products[4]).unwrap();
        assert!(!before.contains(&id), "id {id} reused");
        assert!(again.restore(&serde_json::json!([])).is_err());
    }
}
