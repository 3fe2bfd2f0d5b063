// Drives hipp serve's page in headless Chromium as a person would: enter the token, protect a
// photo (exact restoration), check original | protected | thumbnail appear, restore the
// downloaded protected file, and save what came back for run_page_test.sh to compare.
// With JPEG, also protect that JPEG photo (a protected JPEG keeping it) and restore the very file.
// Usage: node page_test.mjs URL TOKEN PHOTO OUTDIR [JPEG]
import puppeteer from "puppeteer-core";
import fs from "node:fs";

const [url, token, photo, outdir, jpeg] = process.argv.slice(2);
const fail = (msg) => { console.error("page_test: " + msg); process.exit(1); };

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu"],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 420, height: 1000 });  // a phone-sized window
  const errors = [];
  page.on("pageerror", (e) => { errors.push(e.message); console.error("page_test: page error: " + e.message); });
  page.on("requestfailed", (r) => console.error("page_test: request failed: " + r.url() + " " + r.failure().errorText));
  await page.goto(url, { waitUntil: "networkidle0" });
  await page.waitForFunction(() => document.querySelector("#scheme").options.length > 0);

  // Without a token the page says so instead of sending anything.
  await (await page.$("#files")).uploadFile(photo);
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("token"));

  // A wrong token: the server's 401 shown in words.
  await page.type("#token", "not-the-token-at-all");
  await page.click("#save-token");
  await (await page.$("#files")).uploadFile(photo);
  await page.waitForSelector("#results .error", { timeout: 60000 });
  const refused = await page.$eval("#results .error", (e) => e.textContent);
  if (!refused.includes("refused the token")) fail("a wrong token gave: " + refused);
  await page.evaluate(() => { document.querySelector("#results").innerHTML = ""; });

  await page.type("#token", token);
  await page.click("#save-token");
  await page.click("#lossless");
  await (await page.$("#files")).uploadFile(photo);
  await page.waitForFunction(() => document.querySelectorAll("#results .row figure").length >= 3
                                   || document.querySelector("#results .error"), { timeout: 120000 });
  if (await page.$("#results .error")) fail("protect failed: " + await page.$eval("#results .error", (e) => e.textContent));
  const captions = await page.$$eval("#results figcaption", (cs) => cs.map((c) => c.textContent));
  if (!(captions[0] === "original" && captions[1].startsWith("protected") && captions[2].startsWith("thumbnail")))
    fail("unexpected figures: " + captions.join(" | "));
  const bytes = (sel) => page.evaluate(async (s) => {
    const a = document.querySelector(s);
    return Array.from(new Uint8Array(await (await fetch(a.href)).arrayBuffer()));
  }, sel);
  fs.writeFileSync(outdir + "/protected.png", Buffer.from(await bytes("#results .name a")));

  await (await page.$("#rfiles")).uploadFile(outdir + "/protected.png");
  await page.waitForFunction(() => document.querySelectorAll("#restored .row figure").length >= 2
                                   || document.querySelector("#restored .error"), { timeout: 120000 });
  if (await page.$("#restored .error")) fail("restore failed: " + await page.$eval("#restored .error", (e) => e.textContent));
  fs.writeFileSync(outdir + "/restored.png", Buffer.from(await bytes("#restored .name a")));

  // A JPEG photo: a protected JPEG that keeps it, and a download of the very file.
  // Waits for the second row of a section to get its download link, or fails with its error.
  const secondRowDone = async (section, what) => {
    await page.waitForFunction((s) => document.querySelector(s + " .row:nth-child(2) .name a")
                                      || document.querySelector(s + " .error"), { timeout: 120000 }, section);
    if (await page.$(section + " .error")) fail(what + " failed: " + await page.$eval(section + " .error", (e) => e.textContent));
  };
  if (jpeg) {
    await (await page.$("#files")).uploadFile(jpeg);
    await secondRowDone("#results", "protect");
    const name = await page.$eval("#results .row:nth-child(2) .name a", (a) => a.download);
    if (!name.endsWith(".protected.jpg")) fail("a JPEG photo gave " + name);
    fs.writeFileSync(outdir + "/protected.jpg", Buffer.from(await bytes("#results .row:nth-child(2) .name a")));
    await (await page.$("#rfiles")).uploadFile(outdir + "/protected.jpg");
    await secondRowDone("#restored", "restore");
    const back = await page.$eval("#restored .row:nth-child(2) .name a", (a) => a.download);
    if (!back.endsWith(".restored.jpg")) fail("the restored JPEG is named " + back);
    fs.writeFileSync(outdir + "/restored.jpg", Buffer.from(await bytes("#restored .row:nth-child(2) .name a")));
  }
  await page.screenshot({ path: outdir + "/page.png", fullPage: true });
  if (errors.length) fail("script errors on the page: " + errors.join("; "));
  console.log("page_test: protected and restored through the page");
} finally {
  await browser.close();
}
