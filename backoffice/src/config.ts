/** What the deployment tells the app at start (`/config.json`, written by the deploy command). */
export interface SiteConfig {
  apiUrl: string;
  region: string;
  cognito: { endpoint?: string | null; userPoolId: string; clientId: string };
  environment?: string;
}

export async function loadConfig(): Promise<SiteConfig> {
  const response = await fetch("/config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json answered ${response.status}`);
  const config = (await response.json()) as SiteConfig;
  if (!config.apiUrl || !config.cognito?.clientId) throw new Error("config.json lacks apiUrl or cognito.clientId");
  return { ...config, apiUrl: config.apiUrl.replace(/\/$/, "") };
}
