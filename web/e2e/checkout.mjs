// The storefront in headless Chromium, driven by Playwright (playwright-core, pinned in
// web/package-lock.json): sign in, add to cart, order, pay with the sandbox card, see PAID
// (or, with "declined", pay with the declined sandbox card and see the order CANCELLED).
//
//   node e2e/checkout.mjs <storefront URL> <router /graphql URL> <screenshot path> [declined]
//
// Prints one JSON line with what the page showed and what the browser saw (console errors,
// failed requests, the router's CORS answers); tests/e2e/test_storefront.py asserts on it.
// Exits 1 (with the reason and a screenshot) when a step does not happen in time.
import { chromium } from "playwright-core";

const [storefrontUrl, routerUrl, screenshot, outcome = "approved"] = process.argv.slice(2);
const EMAIL = "alice@example.com";
const PASSWORD = "polyshop-demo";
const DECLINED = outcome === "declined";
const CARD = {
  number: DECLINED ? "4000 0000 0000 0002" : "4242 4242 4242 4242",
  exp: "12/40",
  cvc: "123",
};
const ORDER_STATUS = DECLINED ? "CANCELLED" : "PAID";
const PAYMENT_STATUS = DECLINED ? "FAILED" : "SUCCESS";

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
const report = {
  consoleErrors: [],
  pageErrors: [],
  failedRequests: [],
  routerResponses: [],
  steps: [],
};
const page = await browser.newPage();
page.setDefaultTimeout(30_000);
page.on("console", (message) => {
  if (message.type() === "error") report.consoleErrors.push(message.text());
});
page.on("pageerror", (error) => report.pageErrors.push(String(error)));
page.on("requestfailed", (request) =>
  report.failedRequests.push({ url: request.url(), error: request.failure()?.errorText }),
);
page.on("response", async (response) => {
  if (!response.url().startsWith(routerUrl)) return;
  const headers = await response.allHeaders();
  let operation = null;
  try {
    operation = JSON.parse(response.request().postData() ?? "null")?.operationName ?? null;
  } catch {}
  report.routerResponses.push({
    method: response.request().method(),
    status: response.status(),
    allowOrigin: headers["access-control-allow-origin"] ?? null,
    operation,
    contentType: headers["content-type"] ?? null,
  });
});

try {
  await page.goto(storefrontUrl);
  report.pageOrigin = await page.evaluate(() => window.location.origin);
  report.graphqlUrl = await page.evaluate(() => window.POLYSHOP_CONFIG.graphqlUrl);
  const product = page.getByTestId("product").filter({ hasText: "in stock" }).first();
  // The products, or the error the page shows when the router cannot be reached.
  await product.or(page.getByRole("alert")).first().waitFor();
  if (await page.getByRole("alert").count()) {
    throw new Error(`the page shows: ${await page.getByRole("alert").textContent()}`);
  }
  report.productCount = await page.getByTestId("product").count();
  report.firstStock = await product.getByTestId("stock").textContent();
  report.steps.push("products");

  await page.getByRole("link", { name: "Sign in" }).click();
  await page.getByLabel("E-mail").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  report.signedInAs = await page.getByTestId("signed-in").textContent();
  report.steps.push("login");

  report.productName = await product.getByRole("heading").textContent();
  await product.getByRole("button", { name: "Add to cart" }).click();
  await page.getByTestId("cart-link").click();
  await page.getByTestId("cart-line").first().waitFor();
  report.cartLines = await page.getByTestId("cart-line").count();
  report.steps.push("cart");

  await page.getByRole("button", { name: "Place order" }).click();
  await page.waitForURL(/#\/orders\/.+/);
  report.orderHeading = await page.getByRole("heading", { level: 1 }).textContent();
  report.steps.push("order");

  const form = page.getByTestId("payment-form");
  await form.waitFor();
  await form.getByLabel("Card number").fill(CARD.number);
  await form.getByLabel("Expiry (MM/YY)").fill(CARD.exp);
  await form.getByLabel("CVC").fill(CARD.cvc);
  await form.getByRole("button", { name: "Pay" }).click();
  const status = page.getByTestId("order-status").filter({ hasText: ORDER_STATUS });
  await status.waitFor({ timeout: 60_000 });
  // The payment is a deferred part of the order query: it renders once its part arrives.
  await page.getByTestId("payment-status").filter({ hasText: PAYMENT_STATUS }).waitFor();
  report.orderStatus = await page.getByTestId("order-status").textContent();
  report.paymentStatus = await page.getByTestId("payment-status").first().textContent();
  report.payment = await page.getByTestId("payments").textContent();
  report.steps.push(DECLINED ? "declined" : "paid");

  await page.getByRole("link", { name: "Orders" }).click();
  await page.getByTestId("order-row").first().waitFor();
  report.historyFirstRow = await page.getByTestId("order-row").first().textContent();
  report.steps.push("history");

  await page.goBack();
  await page.getByTestId("order-status").filter({ hasText: ORDER_STATUS }).waitFor();
  await page.screenshot({ path: screenshot, fullPage: true });
  report.screenshot = screenshot;
} catch (error) {
  report.failure = String(error);
  await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
  report.screenshot = screenshot;
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(report) + "\n");
process.exit(report.failure ? 1 : 0);
