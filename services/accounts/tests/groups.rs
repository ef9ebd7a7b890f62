//! Customer groups and the merchant's customer list, on SQLite and PostgreSQL.

mod support;

use emporium_accounts::{AccountError, CustomerId, CustomerQuery, GroupId};
use support::*;

fn field(err: AccountError) -> String {
    field_of(&err).to_owned()
}

#[tokio::test]
async fn groups_are_named_uniquely_and_hold_members() {
    for env in envs().await {
        let l = env.label;
        let accounts = &env.accounts;
        let ada = env.register("ada@example.com").await.id;
        let bob = env.register("bob@example.com").await.id;

        let vip = accounts
            .create_customer_group(" VIP ")
            .await
            .expect("create");
        assert_eq!(vip.name, "VIP", "[{l}] trimmed");
        for bad in ["", "  ", &"x".repeat(101), "a\nb"] {
            let err = accounts
                .create_customer_group(bad)
                .await
                .expect_err("bad name");
            assert_eq!(field(err), "name", "[{l}] {bad:?}");
        }
        let err = accounts
            .create_customer_group("vip")
            .await
            .expect_err("taken");
        assert_eq!(field(err), "name", "[{l}] a name is taken in any case");
        let trade = accounts
            .create_customer_group("Trade")
            .await
            .expect("trade");
        let err = accounts
            .rename_customer_group(&trade.id, "Vip")
            .await
            .expect_err("rename onto a taken name");
        assert_eq!(field(err), "name", "[{l}]");

        accounts.add_to_group(&vip.id, &ada).await.expect("add ada");
        accounts
            .add_to_group(&vip.id, &ada)
            .await
            .expect("again: idempotent");
        accounts
            .add_to_group(&trade.id, &ada)
            .await
            .expect("ada in trade");
        accounts
            .add_to_group(&trade.id, &bob)
            .await
            .expect("bob in trade");
        let mut ada_groups = accounts.groups_of(&ada).await.expect("groups");
        ada_groups.sort();
        let mut expected = vec![vip.id.clone(), trade.id.clone()];
        expected.sort();
        assert_eq!(ada_groups, expected, "[{l}]");
        assert_eq!(
            accounts.groups_of(&bob).await.expect("bob"),
            vec![trade.id.clone()],
            "[{l}]"
        );

        let all = accounts.customer_groups().await.expect("all");
        let counts: Vec<(&str, i64)> = all
            .iter()
            .map(|g| (g.name.as_str(), g.member_count))
            .collect();
        assert_eq!(
            counts,
            vec![("Trade", 2), ("VIP", 1)],
            "[{l}] by name, with counts"
        );

        for result in [
            accounts.add_to_group(&GroupId::new(), &ada).await,
            accounts.add_to_group(&vip.id, &CustomerId::new()).await,
            accounts.remove_from_group(&vip.id, &bob).await,
        ] {
            assert!(
                matches!(result, Err(AccountError::NotFound)),
                "[{l}] {result:?}"
            );
        }
        accounts
            .remove_from_group(&trade.id, &ada)
            .await
            .expect("remove");
        assert_eq!(
            accounts.groups_of(&ada).await.expect("ada"),
            vec![vip.id.clone()],
            "[{l}]"
        );

        let renamed = accounts
            .rename_customer_group(&vip.id, "Gold")
            .await
            .expect("rename");
        assert_eq!(
            (renamed.name.as_str(), renamed.member_count),
            ("Gold", 1),
            "[{l}]"
        );
        accounts
            .delete_customer_group(&vip.id)
            .await
            .expect("delete");
        assert!(
            accounts.groups_of(&ada).await.expect("ada").is_empty(),
            "[{l}] memberships go too"
        );
        assert!(matches!(
            accounts.delete_customer_group(&vip.id).await,
            Err(AccountError::NotFound)
        ));
        assert!(matches!(
            accounts.customer_group(&vip.id).await,
            Err(AccountError::NotFound)
        ));
    }
}

#[tokio::test]
async fn the_customer_list_pages_newest_first_and_filters_by_text_and_group() {
    for env in envs().await {
        let l = env.label;
        let accounts = &env.accounts;
        let mut ids = Vec::new();
        for email in ["ada@example.com", "bob@example.com", "cleo_50%@example.org"] {
            ids.push(env.register(email).await.id);
            env.advance(std::time::Duration::from_millis(5));
        }
        let page = accounts
            .customers(CustomerQuery {
                limit: 2,
                ..CustomerQuery::default()
            })
            .await
            .expect("page 1");
        assert_eq!(
            page.items.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
            vec![ids[2].clone(), ids[1].clone()],
            "[{l}] newest first"
        );
        let rest = accounts
            .customers(CustomerQuery {
                limit: 2,
                cursor: page.next_cursor.clone(),
                ..CustomerQuery::default()
            })
            .await
            .expect("page 2");
        assert_eq!(
            rest.items.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
            vec![ids[0].clone()],
            "[{l}]"
        );
        assert_eq!(rest.next_cursor, None, "[{l}]");

        let by_text = |q: &str| CustomerQuery {
            q: Some(q.to_owned()),
            ..CustomerQuery::default()
        };
        let found = accounts.customers(by_text("BOB@")).await.expect("bob");
        assert_eq!(found.items.len(), 1, "[{l}] any case");
        let found = accounts.customers(by_text("50%")).await.expect("literal %");
        assert_eq!(
            found.items.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
            vec![ids[2].clone()],
            "[{l}] % matches itself"
        );
        let found = accounts.customers(by_text("_")).await.expect("literal _");
        assert_eq!(found.items.len(), 1, "[{l}] _ matches itself");

        let group = accounts
            .create_customer_group("Trade")
            .await
            .expect("group");
        accounts
            .add_to_group(&group.id, &ids[0])
            .await
            .expect("member");
        let members = accounts
            .customers(CustomerQuery {
                group_id: Some(group.id.clone()),
                ..CustomerQuery::default()
            })
            .await
            .expect("members");
        assert_eq!(
            members
                .items
                .iter()
                .map(|c| c.id.clone())
                .collect::<Vec<_>>(),
            vec![ids[0].clone()],
            "[{l}]"
        );

        for (query, name) in [
            (
                CustomerQuery {
                    limit: 0,
                    ..CustomerQuery::default()
                },
                "limit",
            ),
            (
                CustomerQuery {
                    limit: 101,
                    ..CustomerQuery::default()
                },
                "limit",
            ),
            (
                CustomerQuery {
                    cursor: Some("garbage".into()),
                    ..CustomerQuery::default()
                },
                "cursor",
            ),
            (by_text(&"x".repeat(201)), "q"),
        ] {
            let err = accounts.customers(query).await.expect_err("bad query");
            assert_eq!(field(err), name, "[{l}]");
        }
    }
}
