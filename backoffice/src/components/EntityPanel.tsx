/** Who the case is about: a business with its owners and directors, or a person. */
import { address, label, text } from "../format";
import { KeyValues, Section } from "./ui";

function identifiers(list: Record<string, any>[] | undefined) {
  if (!list?.length) return null;
  return list.map((i) => `${label(String(i.type))}: ${i.value}${i.country ? ` (${i.country})` : ""}`).join("; ");
}

function personName(p: Record<string, any>): string {
  return p.full_name || [p.first_name, p.middle_name, p.last_name].filter(Boolean).join(" ") || p.id || "—";
}

function People({ title, people }: { title: string; people: Record<string, any>[] }) {
  return (
    <div class="people">
      <h3>{title}</h3>
      {people.length === 0 ? (
        <p class="muted">None given.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Roles</th>
              <th>Ownership</th>
              <th class="wide">Born</th>
              <th class="wide">Nationality</th>
              <th class="wide">Address</th>
            </tr>
          </thead>
          <tbody>
            {people.map((p, i) => (
              <tr key={p.id ?? i}>
                <td>
                  {personName(p)}
                  {p.is_pep && <span class="badge risk-high"> PEP</span>}
                </td>
                <td>{(p.roles ?? []).map(label).join(", ") || "—"}</td>
                <td>{p.ownership_percent !== undefined && p.ownership_percent !== null ? `${p.ownership_percent}%` : "—"}</td>
                <td class="wide">{text(p.date_of_birth)}</td>
                <td class="wide">{text(p.nationality)}</td>
                <td class="wide">{address(p.address)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function EntityPanel({ entity }: { entity: Record<string, any> }) {
  const business = entity.business as Record<string, any> | undefined;
  const person = entity.individual as Record<string, any> | undefined;
  if (business) {
    const ubos = (business.ubos ?? []) as Record<string, any>[];
    const directors = (business.directors ?? []) as Record<string, any>[];
    return (
      <Section title="Business" id="entity">
        <KeyValues
          rows={[
            ["Name", business.name],
            ["Trading name", business.trading_name],
            ["Registration number", business.registration_number],
            ["Country", business.country_of_incorporation],
            ["Incorporated", business.date_of_incorporation],
            ["Legal form", business.legal_form],
            ["Tax id", business.tax_id],
            ["VAT number", business.vat_number],
            ["Industry", business.industry],
            ["Website", business.website],
            ["Email", business.email],
            ["Phone", business.phone],
            ["Address", address(business.address)],
            ["Identifiers", identifiers(business.identifiers)],
            ["Your id", entity.id],
          ]}
        />
        <People title="Ultimate beneficial owners" people={ubos} />
        <People title="Directors" people={directors} />
      </Section>
    );
  }
  const p = person ?? {};
  return (
    <Section title="Person" id="entity">
      <KeyValues
        rows={[
          ["Name", personName(p)],
          ["Born", p.date_of_birth],
          ["Nationality", p.nationality],
          ["Residence", p.country_of_residence],
          ["Email", p.email],
          ["Phone", p.phone],
          ["Address", address(p.address)],
          ["Identifiers", identifiers(p.identifiers)],
          ["PEP (declared)", p.is_pep === undefined || p.is_pep === null ? null : text(p.is_pep)],
          ["Your id", entity.id],
        ]}
      />
    </Section>
  );
}
