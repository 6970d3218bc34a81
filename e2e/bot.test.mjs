// The demo bot on the billing queue: the contact talks to it through quick replies, a selection
// list, markdown and a carousel, asks for an agent, and the agent gets the whole exchange,
// view only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentDesk, ContactWidget, Server, launchBrowser, shooter } from './support.mjs';

test('the bot hands over to an agent, who sees its rich messages view only', { timeout: 120_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  const shot = shooter('bot');
  try {
    const { page } = await ContactWidget.open(browser, server, 'Mark Avram', 'Hello', { queue: 'billing' });
    const widget = page.getByTestId('widget-transcript');

    // Quick replies: tapping one answers with its text.
    await widget.locator('[data-template=quick_replies]').waitFor();
    await widget.getByTestId('rich-reply').filter({ hasText: 'Card refused' }).click();
    // A selection list: picking an item answers too; the bot replies in markdown.
    const list = widget.locator('[data-template=selection_list]');
    await list.waitFor();
    await list.getByTestId('rich-item').filter({ hasText: 'Card refused online' }).click();
    const markdown = widget.locator('[data-template=markdown]');
    await markdown.locator('h4', { hasText: 'What to do now' }).waitFor();
    assert.equal(await markdown.locator('strong', { hasText: 'daily limit' }).count(), 1);
    // A carousel, paged.
    await widget.getByTestId('rich-reply').filter({ hasText: 'Payment plans' }).first().click();
    const carousel = widget.locator('[data-template=carousel]');
    await carousel.getByText('Monthly').waitFor();
    await carousel.getByTestId('rich-next').click();
    await carousel.getByText('Quarterly').waitFor();
    await shot(page, 'contact-with-the-bot');

    // Asking for a person hands the chat over to the billing queue.
    await page.getByTestId('widget-input').fill('I would like an agent');
    await page.getByTestId('widget-send').click();
    await widget.getByText('Agent will be with you shortly').waitFor();

    const kate = await AgentDesk.open(browser, server, 'kate');
    await kate.setStatus('ready');
    await kate.answer();
    const transcript = kate.transcript();
    await transcript.locator('[data-template=quick_replies]').first().waitFor();
    // The question and the chosen reply, the list, the markdown and the carousel, in order.
    const order = await transcript.locator('li').evaluateAll((items) => items.map((li) => li.textContent));
    const at = (needle) => order.findIndex((t) => t.includes(needle));
    assert.ok(at('What is it about?') >= 0 && at('What is it about?') < at('Which describes it best?'), order.join('\n'));
    assert.ok(at('Which describes it best?') < at('What to do now'));
    assert.ok(at('What to do now') < at('Monthly'));
    assert.ok(order.some((t) => t.includes('Mark Avram') && t.includes('Card refused online')), 'the chosen item as the contact said it');
    assert.equal(await transcript.locator('[data-template=markdown] h4', { hasText: 'What to do now' }).count(), 1);
    assert.equal(await transcript.locator('button.pl-rich__choice').count(), 0, 'nothing the agent can click acts');
    const agentCarousel = transcript.locator('[data-template=carousel]');
    await agentCarousel.getByTestId('rich-next').click();
    assert.equal(await agentCarousel.getByTestId('rich-page').textContent(), '2 / 3');
    await shot(kate.page, 'agent-sees-the-bot-exchange');

    await kate.send('Hi Mark, Kate here');
    await widget.getByText('Hi Mark, Kate here').waitFor();
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});
