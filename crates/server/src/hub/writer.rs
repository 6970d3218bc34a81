//! The writer: a command through the engine, its writes committed in one transaction, then
//! delivered (each message encoded once); a failed commit puts the engine back as the store is.

use super::requests::Seen;
use super::{Hub, Issuer, NewChat, StartError};
use crate::auth::token_hash;
use crate::edge::Delivery;
use crate::engine::{Actor, Command, Effect};
use crate::now_ms;
use crate::store::{RequestKey, Store, Write};
use parley_protocol::act::Action;
use parley_protocol::{ClientMsg, ErrorCode, Event, InteractionId, Seq, ServerMsg};
use std::collections::BTreeSet;

impl<S: Store> Hub<S> {
    /// Carries out a group of commands that waited together, then commits their writes in one
    /// transaction: under load durability costs one sync per group, not one per message. Every
    /// answer (a refusal too) is delivered after the commit, in the order the commands came.
    pub(super) async fn commands(&mut self, group: Vec<(Issuer, Actor, ClientMsg)>) {
        // A writer without the lease takes nothing: another one is writing.
        if !self.lease.held() {
            let busy = ServerMsg::error(ErrorCode::Busy, "the server is changing over; try again");
            for (conn, _, _) in group {
                self.reply(conn, busy.clone());
            }
            return;
        }
        let mut done = Vec::with_capacity(group.len());
        for (conn, actor, msg) in group {
            // What a connection asked before it closed (or was closed) is not worth doing.
            if !self.conns.contains_key(&conn.conn) {
                continue;
            }
            // A request that came before acts once; it is answered as it was.
            let key = match &msg {
                ClientMsg::Act(Action::Send(_)) => None,
                _ => self.request_key(&conn),
            };
            if let Some(key) = key {
                if let Seen::Again(answers) = self.requests.arrive(&key, now_ms()) {
                    for msg in answers {
                        self.bus.publish(Delivery::Conn {
                            conn: conn.conn,
                            msg,
                        });
                    }
                    continue;
                }
            }
            let outcome = match msg {
                ClientMsg::Act(action) => {
                    let command = Command::Act { by: actor, action };
                    self.engine
                        .handle(command, now_ms())
                        .unwrap_or_else(|refusal| vec![Effect::Reply(refusal.to_msg(None))])
                }
                ClientMsg::Hello { .. } => {
                    let again = ServerMsg::error(ErrorCode::Invalid, "already said hello");
                    vec![Effect::Reply(again)]
                }
                ClientMsg::UseHere {} => match self.use_here(conn.conn) {
                    Some(refusal) => vec![Effect::Reply(refusal)],
                    None => continue,
                },
                // Reads are answered at the edge (`reads.rs`), never here.
                ClientMsg::Older { .. } | ClientMsg::History { .. } | ClientMsg::Earlier { .. } => {
                    continue
                }
            };
            done.push((Some(conn), outcome));
        }
        self.commit(done, Vec::new()).await;
    }

    pub(super) async fn start_chat(
        &mut self,
        chat: NewChat,
    ) -> Result<(InteractionId, String), StartError> {
        let now = now_ms();
        let id = InteractionId(format!("ix-{now:013}-{}", &crate::auth::new_token()[..8]));
        let token = crate::auth::new_token();
        let effects = self
            .engine
            .handle(
                Command::StartChat {
                    id: id.clone(),
                    contact: chat.contact,
                    queue: chat.queue,
                    text: chat.text,
                    case_data: chat.case_data,
                },
                now,
            )
            .map_err(|r| StartError::Refused(r.reason))?;
        // The token commits with the chat: a failed start leaves neither behind.
        let token_row = Write::ContactToken {
            token_hash: token_hash(&token),
            interaction: id.clone(),
        };
        if !self.apply_with(None, effects, vec![token_row]).await {
            return Err(StartError::NotStored);
        }
        Ok((id, token))
    }

    /// The last event of the interaction this actor may read (`None`: all; a contact always
    /// reads its whole chat).
    pub(super) fn read_limit(&self, actor: &Actor, interaction: &InteractionId) -> Option<Seq> {
        match actor {
            Actor::Agent(agent) => self.engine.read_limit(agent, interaction),
            Actor::Contact(_) => None,
        }
    }

    /// Carries out a command; a refusal goes back to the connection that issued it.
    pub(super) async fn run(&mut self, conn: Option<Issuer>, command: Command) {
        match self.engine.handle(command, now_ms()) {
            Ok(effects) => self.apply(conn, effects).await,
            Err(refusal) => {
                if let Some(to) = conn {
                    self.reply(to, refusal.to_msg(None));
                }
            }
        }
    }

    /// Answers the request the issuer sent (an `ack` or `error` names it); the answer is kept
    /// for the request coming again.
    pub(super) fn reply(&mut self, to: Issuer, msg: ServerMsg) {
        let msg = msg.answering(to.req);
        if let Some(key) = self.request_key(&to) {
            self.requests.answered(&key, &msg);
        }
        self.bus.publish(Delivery::Conn { conn: to.conn, msg });
    }

    /// The request a command came with, when its connection's `hello` named a client instance.
    fn request_key(&self, issuer: &Issuer) -> Option<RequestKey> {
        let req = issuer.req?;
        let client = self.clients.get(&issuer.conn)?;
        let actor = match self.conns.get(&issuer.conn)? {
            Actor::Agent(agent) => format!("agent:{}", agent.0),
            Actor::Contact(interaction) => format!("contact:{}", interaction.0),
        };
        Some(RequestKey {
            actor,
            client: client.clone(),
            req,
        })
    }

    /// Once a minute, the store forgets the requests older than it keeps them.
    pub(super) async fn forget_old_requests(&mut self) {
        let now = now_ms();
        if self.requests.prune_due(now) {
            let before = now - super::requests::KEEP_MS;
            self.commit(Vec::new(), vec![Write::ForgetRequests { before }])
                .await;
        }
    }

    pub(super) fn send_to(&self, to: &Actor, msg: &ServerMsg) {
        let to = vec![to.clone()];
        self.bus.publish(Delivery::Actors {
            to,
            msg: msg.clone(),
        });
    }

    /// Stores the effects' writes in one transaction, then delivers them in order.
    pub(super) async fn apply(&mut self, conn: Option<Issuer>, effects: Vec<Effect>) {
        self.commit(vec![(conn, effects)], Vec::new()).await;
    }

    /// [`Hub::apply`] with more writes for the same transaction; whether it committed.
    pub(super) async fn apply_with(
        &mut self,
        conn: Option<Issuer>,
        effects: Vec<Effect>,
        extra: Vec<Write>,
    ) -> bool {
        self.commit(vec![(conn, effects)], extra).await
    }

    /// Commits the writes of one or more commands (and `extra`) in one transaction, then
    /// delivers each command's effects in order; whether it committed. On a failure nothing is
    /// delivered, every issuer hears so, and what the commands touched is read back.
    async fn commit(
        &mut self,
        done: Vec<(Option<Issuer>, Vec<Effect>)>,
        extra: Vec<Write>,
    ) -> bool {
        // A request that changed something is stored with the change: a writer taking over
        // knows it acted.
        let now = now_ms();
        let acted: Vec<Write> = done
            .iter()
            .filter(|(_, effects)| effects.iter().any(|e| write_of(e).is_some()))
            .filter_map(|(issuer, _)| self.request_key(issuer.as_ref()?))
            .filter(|key| self.requests.knows(key))
            .map(|key| Write::Request { key, at: now })
            .collect();
        let writes: Vec<Write> = done
            .iter()
            .flat_map(|(_, effects)| effects.iter().filter_map(write_of))
            .chain(extra)
            .chain(acted)
            .collect();
        let started = std::time::Instant::now();
        let committed = self.store.commit(writes).await;
        metrics::histogram!("parley_commit_seconds").record(started.elapsed().as_secs_f64());
        if let Err(e) = committed {
            metrics::counter!("parley_commits_failed_total").increment(1);
            tracing::error!("commit: {e}");
            self.roll_back(done.iter().flat_map(|(_, effects)| effects))
                .await;
            let failed = "the server could not store this; try again";
            for conn in done.iter().filter_map(|(conn, _)| *conn) {
                self.reply(conn, ServerMsg::error(ErrorCode::Internal, failed));
            }
            return false;
        }
        // Who may read what changes before anything is delivered: an agent told of a chat may
        // page it at once, and one whose right ended is refused before it hears so.
        let touched: BTreeSet<&InteractionId> = done
            .iter()
            .flat_map(|(_, effects)| effects.iter().filter_map(Effect::interaction))
            .collect();
        for id in touched {
            self.publish_rights(id);
        }
        for (conn, effects) in done {
            self.deliver_effects(conn, effects);
        }
        true
    }

    /// Delivers one command's committed effects, in order.
    fn deliver_effects(&mut self, conn: Option<Issuer>, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Save(_)
                | Effect::Milestone(_)
                | Effect::SaveStatus { .. }
                | Effect::SaveOffer { .. } => {}
                Effect::Append {
                    interaction,
                    event,
                    to,
                } => {
                    let to = to.into_iter().filter(|a| may_see(a, &event)).collect();
                    self.bus.publish(Delivery::Event {
                        to,
                        interaction,
                        event,
                    });
                }
                Effect::Send { to, msg } => self.send_to(&to, &msg),
                Effect::Broadcast(msg) => self.bus.publish(Delivery::Agents(msg)),
                Effect::Open { agent, summary } => {
                    // Each connection of the agent reads the chat's window itself.
                    let until = self.engine.read_limit(&agent, &summary.id);
                    self.bus.publish(Delivery::Open {
                        agent,
                        summary,
                        until,
                    });
                }
                Effect::Reply(msg) => {
                    if let Some(conn) = conn {
                        self.reply(conn, msg);
                    }
                }
            }
        }
    }
}

/// What an effect stores, if anything.
fn write_of(effect: &Effect) -> Option<Write> {
    match effect {
        Effect::Save(record) => Some(Write::Interaction(record.clone())),
        Effect::Append {
            interaction, event, ..
        } => Some(Write::Event(interaction.clone(), event.clone())),
        Effect::Milestone(m) => Some(Write::Milestone(m.clone())),
        Effect::SaveStatus { agent, status } => Some(Write::AgentStatus {
            agent: agent.clone(),
            status: status.clone(),
        }),
        Effect::SaveOffer { interaction, offer } => Some(Write::Offer {
            interaction: interaction.clone(),
            offer: offer.clone(),
        }),
        _ => None,
    }
}

impl<S: Store> Hub<S> {
    /// After a failed commit: every interaction the effects touched goes back to what the store
    /// has, so the engine never runs ahead of it (a retried message is stored, not just acked).
    async fn roll_back<'a>(&mut self, effects: impl IntoIterator<Item = &'a Effect>) {
        let touched: BTreeSet<InteractionId> = effects
            .into_iter()
            .filter_map(Effect::interaction)
            .cloned()
            .collect();
        for id in touched {
            self.reload(id).await;
        }
    }

    /// Reads an interaction back from the store into the engine; when it cannot be read now, it
    /// leaves the engine and the next tick tries again.
    pub(super) async fn reload(&mut self, id: InteractionId) {
        let stored = match self.store.interaction(&id).await {
            Ok(stored) => {
                self.stale.remove(&id);
                stored
            }
            Err(e) => {
                tracing::error!("reading {id} back after a failed commit: {e}");
                self.stale.insert(id.clone());
                None
            }
        };
        let effects = self.engine.reload(&id, stored);
        self.publish_rights(&id);
        for effect in effects {
            if let Effect::Send { to, msg } = effect {
                self.send_to(&to, &msg);
            }
        }
    }

    /// The queues' and agents' gauges, for operators (at every tick).
    pub(super) fn gauges(&self) {
        let (queues, ready) = self.engine.queue_gauges(now_ms());
        for (queue, waiting, longest) in queues {
            let q = queue.0;
            metrics::gauge!("parley_queue_waiting", "queue" => q.clone()).set(waiting as f64);
            metrics::gauge!("parley_queue_longest_wait_seconds", "queue" => q)
                .set(longest as f64 / 1000.0);
        }
        metrics::gauge!("parley_agents_ready").set(ready as f64);
        metrics::gauge!("parley_writer_connections").set(self.conns.len() as f64);
        metrics::gauge!("parley_requests_remembered").set(self.requests.len() as f64);
    }

    /// Tells every node's read model who may read every interaction (a node starting afresh).
    pub(super) fn publish_all_rights(&mut self) {
        self.published = self.engine.all_readers();
        for (interaction, readers) in &self.published {
            self.bus.publish(Delivery::Rights {
                interaction: interaction.clone(),
                readers: readers.clone(),
            });
        }
    }

    /// Tells every node's read model who may read the interaction now, if that changed since
    /// it was last told: most commits (a message) leave the readers as they were.
    pub(super) fn publish_rights(&mut self, id: &InteractionId) {
        let readers = self.engine.readers(id);
        let last = self.published.get(id).map_or(&[][..], Vec::as_slice);
        if last == readers.as_slice() {
            return;
        }
        if readers.is_empty() {
            self.published.remove(id);
        } else {
            self.published.insert(id.clone(), readers.clone());
        }
        self.bus.publish(Delivery::Rights {
            interaction: id.clone(),
            readers,
        });
    }

    pub(super) async fn reload_stale(&mut self) {
        for id in std::mem::take(&mut self.stale) {
            self.reload(id).await;
        }
    }
}

/// The gateway's own audience check, on top of the engine's choice of recipients.
pub(crate) fn may_see(actor: &Actor, event: &Event) -> bool {
    match actor {
        Actor::Agent(agent) => event.audience.includes_agent(agent),
        Actor::Contact(_) => event.audience.includes_contact(),
    }
}
