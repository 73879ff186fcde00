// Opens one dashboard page in the system Chromium (headless), saves a screenshot, and prints the
// page's visible text as JSON for the test to assert on. Usage: node dashboard-page.cjs URL PNG
const { chromium } = require(require('path').join(process.env.PLAYWRIGHT_NODE_MODULES, 'playwright-core'));

(async () => {
  const [url, screenshot] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const response = await page.goto(url, { waitUntil: 'networkidle' });
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(JSON.stringify({ status: response.status(), title: await page.title(), text: await page.innerText('body') }));
  } finally {
    await browser.close();
  }
})().catch(e => { console.error(e.message); process.exit(1); });
