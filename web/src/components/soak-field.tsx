/** The soak time of a rollout: how long each wave runs before the health gate judges it (a duration: 30s, 10m, 1h). */
export function SoakField({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  return (
    <label>
      Soak per wave before the health gate (e.g. 30s, 10m, 1h)
      <input value={value} onChange={(e) => onChange(e.target.value)} placeholder="10m" />
    </label>
  );
}
