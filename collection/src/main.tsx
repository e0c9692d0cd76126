import { render } from "preact";
import { App } from "./App";
import { apiBase, CollectionApi } from "./api";
import { translator, browserLanguage } from "./i18n";
import "./styles.css";

// The token travels in the URL's fragment, which browsers never send to a server (nor in a Referer).
const token = decodeURIComponent(window.location.hash.replace(/^#/, ""));
const root = document.getElementById("app")!;

if (!token.startsWith("clk_")) {
  const t = translator(browserLanguage() ?? "en");
  render(
    <section class="card">
      <h1 tabIndex={-1}>{t("invalidTitle")}</h1>
      <p>{t("invalidText")}</p>
    </section>,
    root,
  );
} else {
  apiBase().then((base) => render(<App api={new CollectionApi(base, token)} />, root));
}
