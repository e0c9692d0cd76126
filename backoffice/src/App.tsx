/** The shell: configuration, session, navigation, and the page for the current route. */
import { useEffect, useState } from "preact/hooks";
import { api, configureApi } from "./api";
import { currentSession, signOut } from "./auth";
import { ErrorBox, Loading } from "./components/ui";
import { loadConfig, type SiteConfig } from "./config";
import type { Me } from "./model";
import { here, link, navigate, useRoute } from "./router";
import { AlertsQueue } from "./views/AlertsQueue";
import { AlertView } from "./views/AlertView";
import { CaseView } from "./views/CaseView";
import { ApiKeys } from "./views/ApiKeys";
import { Webhooks } from "./views/Webhooks";
import { Dashboard } from "./views/Dashboard";
import { Workflows } from "./views/Workflows";
import { Reviewers } from "./views/Reviewers";
import { Queue } from "./views/Queue";
import { SignIn } from "./views/SignIn";

type RuleSetsView = typeof import("./views/RuleSets").RuleSets;

/** The rule editor, loaded the first time an admin opens it (its own bundle: reviewers never download it). */
function LazyRuleSets(props: Parameters<RuleSetsView>[0]) {
  const [View, setView] = useState<RuleSetsView | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    import("./views/RuleSets").then((module) => setView(() => module.RuleSets)).catch(setError);
  }, []);
  if (error) return <ErrorBox error={error} retry={() => location.reload()} />;
  if (!View) return <Loading what="the rule editor" />;
  return <View {...props} />;
}

export function App() {
  const route = useRoute();
  const [config, setConfig] = useState<SiteConfig | null>(null);
  const [configError, setConfigError] = useState<unknown>(null);
  const [me, setMe] = useState<Me | null>(null);

  useEffect(() => {
    loadConfig()
      .then((site) => {
        configureApi(site);
        setConfig(site);
      })
      .catch(setConfigError);
  }, []);

  const signedIn = route.page !== "signin" && currentSession() !== null;
  useEffect(() => {
    if (!config || route.page === "signin") return;
    if (!currentSession()) {
      navigate(`/signin?next=${encodeURIComponent(here())}`, true);
      return;
    }
    if (!me) api<Me>("GET", "/v1/review/me").then(setMe).catch(() => undefined);
  }, [config, route, me]);

  // An expired token sends the reviewer to sign in even when the page is idle.
  useEffect(() => {
    if (!signedIn) return;
    const timer = window.setInterval(() => {
      if (!currentSession()) navigate(`/signin?next=${encodeURIComponent(here())}&expired=1`, true);
    }, 15_000);
    return () => window.clearInterval(timer);
  }, [signedIn]);

  if (configError) return <ErrorBox error={configError} retry={() => location.reload()} />;
  if (!config) return <Loading what="configuration" />;
  if (route.page === "signin") return <SignIn config={config} next={route.next} onSignedIn={() => setMe(null)} />;
  if (!currentSession()) return <Loading what="session" />;

  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="/" onClick={link("/")}>
          Arbiter
        </a>
        <nav aria-label="Main">
          <a href="/" onClick={link("/")} aria-current={route.page === "queue" ? "page" : undefined}>
            Queue
          </a>
          <a href="/alerts" onClick={link("/alerts")} aria-current={route.page === "alerts" || route.page === "alert" ? "page" : undefined}>
            Alerts
          </a>
          <a
            href="/dashboard"
            onClick={link("/dashboard")}
            aria-current={route.page === "dashboard" ? "page" : undefined}
          >
            Dashboard
          </a>
          {me?.roles.includes("admin") && (
            <a
              href="/admin/reviewers"
              onClick={link("/admin/reviewers")}
              aria-current={route.page === "reviewers" ? "page" : undefined}
            >
              Reviewers
            </a>
          )}
          {me?.roles.includes("admin") && (
            <a
              href="/admin/api-keys"
              onClick={link("/admin/api-keys")}
              aria-current={route.page === "api-keys" ? "page" : undefined}
            >
              API keys
            </a>
          )}
          {me?.roles.includes("admin") && (
            <a
              href="/admin/rule-sets"
              onClick={link("/admin/rule-sets")}
              aria-current={route.page === "rule-sets" ? "page" : undefined}
            >
              Rule sets
            </a>
          )}
          {me?.roles.includes("admin") && (
            <a
              href="/admin/webhooks"
              onClick={link("/admin/webhooks")}
              aria-current={route.page === "webhooks" ? "page" : undefined}
            >
              Webhooks
            </a>
          )}
          {me?.roles.includes("admin") && (
            <a
              href="/admin/workflows"
              onClick={link("/admin/workflows")}
              aria-current={route.page === "workflows" ? "page" : undefined}
            >
              Workflows
            </a>
          )}
        </nav>
        <div class="who">
          {me && (
            <span data-testid="who">
              {me.email ?? me.id} <span class="muted">({me.roles.join(", ") || "no role"})</span>
            </span>
          )}
          <button
            type="button"
            class="link"
            onClick={() => {
              signOut();
              setMe(null);
              navigate("/signin");
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main>
        {route.page === "queue" && <Queue me={me} />}
        {route.page === "case" && <CaseView id={route.id} me={me} />}
        {route.page === "dashboard" && <Dashboard />}
        {route.page === "reviewers" && <Reviewers me={me} />}
        {route.page === "api-keys" && <ApiKeys me={me} />}
        {route.page === "webhooks" && <Webhooks me={me} />}
        {route.page === "workflows" && <Workflows me={me} />}
        {route.page === "rule-sets" && <LazyRuleSets me={me} id={route.id} version={route.version} />}
        {route.page === "alerts" && <AlertsQueue me={me} />}
        {route.page === "alert" && <AlertView id={route.id} me={me} />}
        {route.page === "missing" && <ErrorBox error="There is no such page." />}
      </main>
    </div>
  );
}
