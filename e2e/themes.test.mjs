// Themes and motion: the widget takes the dark theme the desktop has, both apps hold still for
// readers who ask for less motion, and forced colours (high contrast) keep the widget's bubbles
// and buttons visible, and the desktop's icons, colour dots and controls. The desktop's icons are
// SVG, not emoji characters a system may lack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, withChat } from './support.mjs';

/**
 * The computed `property` of an element of `className` (with `data` attributes) added to the
 * page, or of its `pseudo` element.
 */
function styleOf(page, className, property, { pseudo = null, data = {} } = {}) {
  return page.evaluate(
    ([className, property, pseudo, data]) => {
      const el = document.createElement('div');
      el.className = className;
      Object.assign(el.dataset, data);
      document.body.append(el);
      const value = getComputedStyle(el, pseudo)[property];
      el.remove();
      return value;
    },
    [className, property, pseudo, data],
  );
}

test('the widget follows the contact\'s light or dark theme', { timeout: 60_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  try {
    const background = async (colorScheme) => {
      const page = await (await browser.newContext({ colorScheme })).newPage();
      await page.goto(`${server.widgetUrl}/chat/`);
      await page.getByTestId('widget-start').waitFor();
      const body = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const input = await page.getByTestId('widget-name').evaluate((el) => getComputedStyle(el).backgroundColor);
      return [body, input];
    };
    assert.deepEqual(await background('light'), ['rgb(255, 255, 255)', 'rgb(255, 255, 255)']);
    assert.deepEqual(await background('dark'), ['rgb(20, 23, 28)', 'rgb(20, 23, 28)']);
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});

test('asked for less motion, the flashing tab and the late dot hold still', { timeout: 60_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  try {
    const motion = async (reducedMotion) => {
      const page = await (await browser.newContext({ reducedMotion })).newPage();
      await page.goto(`${server.url}/`);
      await page.getByTestId('login-username').waitFor();
      return [
        await styleOf(page, 'pl-interaction-tab--flash', 'animationName', { pseudo: '::after' }),
        await styleOf(page, 'pl-pending', 'animationName', { data: { pending: 'late' } }),
      ];
    };
    assert.deepEqual(await motion('no-preference'), ['pl-flash', 'pl-blink']);
    assert.deepEqual(await motion('reduce'), ['none', 'none']);
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});

test('in forced colours the widget\'s bubbles and buttons keep an edge', { timeout: 60_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  try {
    const edge = async (forcedColors) => {
      const page = await (await browser.newContext({ forcedColors })).newPage();
      await page.goto(`${server.widgetUrl}/chat/`);
      await page.getByTestId('widget-start').waitFor();
      return [
        await styleOf(page, 'pl-bubble', 'borderTopStyle'),
        await page.getByTestId('widget-start').evaluate((el) => getComputedStyle(el).borderTopStyle),
      ];
    };
    assert.deepEqual(await edge('none'), ['none', 'none']);
    assert.deepEqual(await edge('active'), ['solid', 'solid']);
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});

test('the desktop draws its icons from one SVG sprite and keeps them, its dots and its controls in forced colours', { timeout: 90_000 }, () => withChat(async ({ kate }) => {
  await kate.transcript().getByText('Hello').waitFor();
  const page = kate.page;
  // No emoji character anywhere in the interface (the emoji picker's list is the message's).
  const emoji = await page.evaluate(() => {
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (/\p{Extended_Pictographic}/u.test(node.textContent) && !node.parentElement.closest('[data-testid=transcript], .pl-emoji')) found.push(node.textContent);
    }
    return found;
  });
  assert.deepEqual(emoji, []);
  // Every icon is an <svg> drawing a symbol of the page's one sprite, in the text's colour.
  const icons = await page.locator('.pl-icon').evaluateAll((els) => els.map((el) => {
    const href = el.querySelector('use')?.getAttribute('href') ?? '';
    const symbol = document.querySelector(`svg[data-sprite] > symbol${href}`);
    return [el.dataset.icon, el.tagName === 'svg' && symbol !== null, getComputedStyle(el).stroke === getComputedStyle(el).color];
  }));
  assert.equal(await page.locator('svg[data-sprite]').count(), 1, 'one sprite');
  assert.equal(await page.locator('svg[data-sprite]').boundingBox(), null, 'the sprite itself takes no room');
  for (const name of ['menu', 'settings', 'emoji', 'responses', 'link', 'attach']) {
    assert.ok(icons.some(([n, svg]) => n === name && svg), `the ${name} icon is a symbol of the sprite`);
  }
  assert.ok(icons.every(([, , themed]) => themed), 'drawn in the text colour');
  // A theme recolours them through a custom property.
  await page.evaluate(() => document.documentElement.style.setProperty('--pl-icon-colour', 'rgb(1, 2, 3)'));
  assert.equal(await page.locator('.pl-icon').first().evaluate((el) => getComputedStyle(el).stroke), 'rgb(1, 2, 3)');
  await page.evaluate(() => document.documentElement.style.removeProperty('--pl-icon-colour'));
  // Each icon button still says what it does.
  assert.equal(await page.getByTestId('responses-button').getAttribute('title'), 'Standard responses');

  await page.emulateMedia({ forcedColors: 'active' });
  const forced = await page.evaluate(() => {
    const style = (selector) => getComputedStyle(document.querySelector(selector));
    return {
      icon: style('.pl-icon').forcedColorAdjust,
      stroke: style('.pl-icon').stroke === style('[data-testid=responses-button]').borderTopColor,
      dot: style('[data-testid=pending-indicator]').forcedColorAdjust,
      edge: style('[data-testid=responses-button]').borderTopStyle,
    };
  });
  assert.deepEqual(forced, { icon: 'none', stroke: true, dot: 'none', edge: 'solid' });
}));
