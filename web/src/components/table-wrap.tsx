/**
 * The horizontally scrolling box around a wide table. On a narrow screen the table scrolls sideways inside it, so a
 * keyboard user must be able to focus the box to scroll it with the arrow keys (WCAG 2.1.1; axe's
 * scrollable-region-focusable): it is a named region in the tab order, `label` naming the table (its heading or
 * caption) for the screen reader landing there, with " (table)" so it never repeats the name of the section around it
 * (axe landmark-unique). Its focus ring is the global :focus-visible outline (styles.css).
 */
import type { ReactNode } from 'react';

export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: it scrolls sideways, so a keyboard must be able to focus it to scroll it (WCAG 2.1.1; axe scrollable-region-focusable)
    <section className="table-wrap" aria-label={`${label} (table)`} tabIndex={0}>
      {children}
    </section>
  );
}
