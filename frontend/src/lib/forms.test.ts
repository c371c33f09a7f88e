import { describe, expect, it } from 'vitest';
import { formValues } from './forms';

describe('formValues', () => {
  it("takes the form's fields from the item and the blank's where the item has none", () => {
    const blank = { name: '', weight: 1 as number | null, enabled: true, note: 'none' };
    const item = { id: 'x', name: 'a', weight: 0, enabled: false, note: null };
    expect(formValues(blank, item)).toEqual({ name: 'a', weight: 0, enabled: false, note: 'none' });
    expect(formValues(blank, {})).toEqual(blank);
  });
});
