// Files both ways: the agent attaches an image, the contact sends a PDF; a damaged image shows
// the "broken file" mark; a refused file is explained, and nothing of it reaches the contact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shooter, withChat } from './support.mjs';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

test('files both ways: thumbnails, documents, broken images and refusals', { timeout: 120_000 }, () => withChat(async ({ mark, kate }) => {
  const shot = shooter('files');
  await kate.transcript().getByText('Here is my card').waitFor();

  // The agent attaches an image (it waits under the composer until sent): a thumbnail on both sides.
  await kate.page.getByTestId('attach-button').setInputFiles({ name: 'card.png', mimeType: 'image/png', buffer: PNG });
  await kate.page.getByTestId('attachment').filter({ hasText: 'card.png' }).waitFor();
  assert.equal(await mark.page.getByTestId('widget-file').count(), 0, 'nothing sent before Send files');
  await kate.page.getByTestId('attachments-send').click();
  const kateFile = kate.transcript().locator('[data-testid=file][data-kind=image]');
  await kateFile.locator('img').waitFor();
  assert.ok(await kateFile.locator('img').evaluate((img) => img.complete && img.naturalWidth === 1), 'the image decodes');
  const markImage = mark.page.getByTestId('widget-file').locator('img');
  await markImage.waitFor();
  assert.match(await markImage.getAttribute('src'), /^blob:/);
  await shot(kate.page, 'agent-sent-image');

  // The contact sends a PDF: a document icon and a link to save it.
  await mark.page.getByTestId('widget-attach').setInputFiles({ name: 'statement.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF') });
  const doc = kate.transcript().locator('[data-testid=file][data-kind=document]');
  await doc.waitFor();
  assert.match(await doc.textContent(), /statement\.pdf/);
  assert.equal(await doc.getByTestId('file-save').getAttribute('download'), 'statement.pdf');
  await shot(kate.page, 'contact-sent-pdf');

  // An image that passes the checks but cannot be decoded: the broken-file mark and its tooltip.
  // Two attached, one deleted before sending: only the other goes.
  const damaged = Buffer.concat([PNG.subarray(0, 16), Buffer.alloc(64, 7)]);
  await kate.page.getByTestId('attach-button').setInputFiles([
    { name: 'damaged.png', mimeType: 'image/png', buffer: damaged },
    { name: 'extra.png', mimeType: 'image/png', buffer: PNG },
  ]);
  await kate.page.getByTestId('attachment').filter({ hasText: 'extra.png' }).getByTestId('attachment-delete').click();
  assert.equal(await kate.page.getByTestId('attachment').count(), 1);
  await kate.page.getByTestId('attachments-send').click();
  const broken = kate.transcript().getByTestId('file-broken');
  await broken.waitFor();
  assert.equal(await broken.getAttribute('title'), 'File broken or not recognized as an image by file system');

  // A file from a standard response.
  await kate.page.getByTestId('responses-button').click();
  await kate.page.getByTestId('response-attach').filter({ hasText: 'card-help.pdf' }).click();
  await mark.page.getByTestId('widget-file').filter({ hasText: 'card-help.pdf' }).waitFor();
  await kate.transcript().locator('[data-testid=file][data-kind=document]').filter({ hasText: 'card-help.pdf' }).waitFor();

  // A refused file: the reason at the top of the window; the contact gets nothing.
  await kate.page.getByTestId('attach-button').setInputFiles({ name: 'tool.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ\x90\x00rest') });
  await kate.page.getByTestId('attachments-send').click();
  await kate.page.getByTestId('chat-error').getByText(/not accepted/).waitFor();
  await shot(kate.page, 'refused');
  assert.equal(await mark.page.getByTestId('widget-file').count(), 4, 'the image, the PDF, the damaged image and the response file only');
  assert.equal(await kate.transcript().getByText('extra.png').count(), 0, 'the deleted attachment was never sent');
  await kate.page.getByTestId('files-save-all').waitFor();
  await kate.page.getByTestId('chat-print').waitFor();
  await shot(mark.page, 'contact-view');
}, { text: 'Here is my card' }));
