-- Only an e-mail the contact's site vouched for (a signed identity) links a contact's chats from
-- now on. The keys stored before came from e-mails typed into the pre-chat form, which anyone can
-- type: they link nothing any more.
UPDATE interactions SET contact_key = NULL;
