//! The demo bot: a few configured rules that answer a contact before an agent does, and hand
//! the chat over to its queue when the contact asks for a person. Pure, like the engine.

use crate::config::BotConfig;
use parley_protocol::{AgentId, Party, QueueId, Rich};

/// What the bot does with a contact's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Say(Rich),
    HandOver,
}

/// The bot, as configured.
#[derive(Clone, Debug)]
pub struct Bot {
    config: BotConfig,
}

impl Bot {
    pub fn new(config: BotConfig) -> Self {
        Self { config }
    }

    /// Whether chats for this queue start with the bot.
    pub fn serves(&self, queue: &QueueId) -> bool {
        self.config.queues.contains(queue)
    }

    /// The bot as a party of the transcript.
    pub fn party(&self) -> Party {
        Party::Agent {
            id: AgentId::from("bot"),
            name: self.config.name.clone(),
        }
    }

    pub fn greeting(&self) -> Rich {
        self.config.greeting.clone()
    }

    /// The first rule with a keyword in the message answers; asking for a person hands over;
    /// anything else gets the fallback.
    pub fn answer(&self, text: &str) -> Answer {
        let text = text.to_lowercase();
        let has = |keywords: &[String]| keywords.iter().any(|k| text.contains(&k.to_lowercase()));
        if has(&self.config.handover) {
            return Answer::HandOver;
        }
        self.config
            .rules
            .iter()
            .find(|r| has(&r.keywords))
            .map_or_else(
                || {
                    Answer::Say(
                        self.config
                            .fallback
                            .clone()
                            .unwrap_or_else(|| self.greeting()),
                    )
                },
                |r| Answer::Say(r.reply.clone()),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::BotRule;

    fn bot() -> Bot {
        Bot::new(BotConfig {
            name: "Assistant".into(),
            queues: vec!["billing".into()],
            greeting: Rich::QuickReplies {
                text: "How can I help?".into(),
                replies: vec!["Card".into(), "Talk to an agent".into()],
            },
            handover: vec!["agent".into()],
            rules: vec![BotRule {
                keywords: vec!["card".into()],
                reply: Rich::Markdown {
                    text: "**Cards**".into(),
                },
            }],
            fallback: None,
        })
    }

    #[test]
    fn rules_answer_by_keyword_and_asking_for_a_person_hands_over() {
        let b = bot();
        assert!(b.serves(&"billing".into()) && !b.serves(&"general".into()));
        assert_eq!(
            b.answer("My CARD is refused"),
            Answer::Say(Rich::Markdown {
                text: "**Cards**".into()
            })
        );
        assert_eq!(b.answer("Talk to an agent"), Answer::HandOver);
        assert_eq!(b.answer("something else"), Answer::Say(b.greeting()));
    }
}
