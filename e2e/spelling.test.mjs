// Spelling confirmation: with `[spelling] confirm` on, a message with a word the check does not
// know asks the agent first and names the word; No keeps the message to correct, Yes sends it.
// A message the check knows goes at once. The check runs in the chat's language (the
// contact's widget's), and the deployment's own words are known.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, withChat } from './support.mjs';

/** The demo configuration with the confirmation on. */
function confirmingConfig() {
  const dir = join(ROOT, 'target/e2e-config');
  mkdirSync(dir, { recursive: true });
  const demo = readFileSync(join(ROOT, 'config/demo.toml'), 'utf8');
  const path = join(dir, 'spelling.toml');
  // Beside demo.toml's own files (responses' attachments are named relative to it).
  writeFileSync(path, demo.replace('confirm = false', 'confirm = true').replaceAll('"files/', `"${join(ROOT, 'config/files')}/`));
  return path;
}

test('a misspelt word asks before sending; a correct message goes at once', { timeout: 120_000 }, () => withChat(async ({ mark, kate }) => {
  await kate.transcript().getByText('Hello').waitFor();
  const page = kate.page;

  await kate.send('I did receive your order for Parley');
  await mark.transcript().getByText('I did receive your order for Parley').waitFor();
  assert.equal(await page.getByTestId('spelling-confirm').count(), 0, 'known words go at once');

  await kate.send('I did not recieve it');
  await page.getByTestId('spelling-confirm').waitFor();
  assert.equal(await page.getByTestId('spelling-words').textContent(), 'recieve');
  assert.equal(await page.getByTestId('spelling-confirm').getAttribute('role'), 'alertdialog');
  await page.waitForFunction(() => document.activeElement?.dataset?.testid === 'spelling-yes');
  await page.getByTestId('spelling-no').click();
  await page.getByTestId('spelling-confirm').waitFor({ state: 'detached' });
  assert.equal(await page.getByTestId('composer-input').inputValue(), 'I did not recieve it', 'No keeps the message');
  await page.waitForFunction(() => document.activeElement?.dataset?.testid === 'composer-input');

  await page.getByTestId('composer-input').press('Enter');
  await page.getByTestId('spelling-yes').click();
  await mark.transcript().getByText('I did not recieve it').waitFor();
  assert.equal(await page.getByTestId('composer-input').inputValue(), '');
}, { config: confirmingConfig() }));

test('the check follows the contact\'s language', { timeout: 120_000 }, () => withChat(async ({ kate }) => {
  await kate.transcript().getByText('Hallo').waitFor();
  // The agent sees the contact's language with the chat.
  await kate.page.getByTestId('case-data').getByText('de', { exact: true }).waitFor();
  await kate.send('Guten Tag, wie kann ich helfen?');
  await kate.transcript().getByText('Guten Tag, wie kann ich helfen?').waitFor();
  await kate.send('Ich habe das Packet bekommen');
  await kate.page.getByTestId('spelling-words').getByText('Packet').waitFor();
}, { config: confirmingConfig(), text: 'Hallo', contact: { locale: 'de-DE' } }));
