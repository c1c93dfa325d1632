/**
 * The catalogue of protective measures (policies/measures.yaml), loaded and checked at start.
 *
 * Measures on a case refer to the catalogue by code, so a code must be unique and stable; the
 * category and implementers must be ones the service knows how to handle. Defaults are resolved
 * here once, so that every consumer sees each measure's own duration and review lead.
 */
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { PolicyError, formatSchemaErrors, loadPolicyFile } from '../access/policy.js';

export const MEASURE_CATEGORIES = ['urgent', 'protection', 'prevention'] as const;
export type MeasureCategory = (typeof MEASURE_CATEGORIES)[number];

export const IMPLEMENTERS = ['cndh', 'state_authority', 'partner'] as const;
export type Implementer = (typeof IMPLEMENTERS)[number];

const Text = Type.String({ minLength: 1, maxLength: 500 });
const Labels = Type.Object({ fr: Text, en: Text }, { additionalProperties: false });
const Days = Type.Integer({ minimum: 1, maximum: 3650 });

// Category and implementer are plain strings in the schema and checked below, so that an
// unknown one is reported as "unknown category x" rather than as a list of failed literals.
const MeasureEntry = Type.Object(
  {
    code: Type.String({ pattern: '^[a-z][a-z0-9_]*$', maxLength: 64 }),
    category: Type.String(),
    label: Labels,
    implementers: Type.Array(Type.String(), { minItems: 1 }),
    durationDays: Type.Optional(Days),
    maxDurationDays: Type.Optional(Days),
    reviewLeadDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
    warning: Type.Optional(Labels),
    requiresExplicitConsent: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const MeasureCatalogueSchema = Type.Object(
  {
    version: Type.Literal(1),
    defaults: Type.Object({ durationDays: Days, reviewLeadDays: Type.Integer({ minimum: 0, maximum: 3650 }) }, { additionalProperties: false }),
    measures: Type.Array(MeasureEntry, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export type MeasureCatalogueFile = Static<typeof MeasureCatalogueSchema>;

/** One measure with its defaults resolved. */
export interface Measure {
  readonly code: string;
  readonly category: MeasureCategory;
  readonly label: { readonly fr: string; readonly en: string };
  readonly implementers: readonly Implementer[];
  readonly durationDays: number;
  /** The longest first period; equal to durationDays when the file gives none. */
  readonly maxDurationDays: number;
  readonly reviewLeadDays: number;
  readonly warning?: { readonly fr: string; readonly en: string };
  readonly requiresExplicitConsent: boolean;
}

export interface MeasureCatalogue {
  readonly measures: readonly Measure[];
  /** The measure with this code, or undefined (a code from a request must be checked). */
  measureByCode(code: string): Measure | undefined;
  measuresIn(category: MeasureCategory): readonly Measure[];
}

const isCategory = (s: string): s is MeasureCategory => (MEASURE_CATEGORIES as readonly string[]).includes(s);
const isImplementer = (s: string): s is Implementer => (IMPLEMENTERS as readonly string[]).includes(s);

/** Validates the parsed catalogue; the service refuses to start on any problem. */
export function parseMeasureCatalogue(raw: unknown, source = 'measure catalogue'): MeasureCatalogue {
  const errors = Value.Errors(MeasureCatalogueSchema, raw);
  if (errors.length > 0) throw new PolicyError(`${source} is invalid:\n${formatSchemaErrors(errors)}`);
  const file = raw as MeasureCatalogueFile;

  const byCode = new Map<string, Measure>();
  file.measures.forEach((m, i) => {
    const at = `${source}: /measures/${i}`;
    if (byCode.has(m.code)) throw new PolicyError(`${at}/code: code "${m.code}" appears twice`);
    if (!isCategory(m.category)) {
      throw new PolicyError(`${at}/category: unknown category "${m.category}" (known: ${MEASURE_CATEGORIES.join(', ')})`);
    }
    const implementers: Implementer[] = [];
    m.implementers.forEach((imp, j) => {
      if (!isImplementer(imp)) throw new PolicyError(`${at}/implementers/${j}: unknown implementer "${imp}" (known: ${IMPLEMENTERS.join(', ')})`);
      if (implementers.includes(imp)) throw new PolicyError(`${at}/implementers/${j}: implementer "${imp}" appears twice`);
      implementers.push(imp);
    });
    const durationDays = m.durationDays ?? file.defaults.durationDays;
    const maxDurationDays = m.maxDurationDays ?? durationDays;
    const reviewLeadDays = m.reviewLeadDays ?? file.defaults.reviewLeadDays;
    if (maxDurationDays < durationDays) {
      throw new PolicyError(`${at}/maxDurationDays: ${maxDurationDays} is shorter than the duration (${durationDays} days)`);
    }
    // A reminder on or before the start date would fire at once and mean nothing.
    if (reviewLeadDays >= durationDays) {
      throw new PolicyError(
        `${at}: the review reminder (${reviewLeadDays} days before the end${m.reviewLeadDays === undefined ? ', from defaults' : ''}) must be shorter than the duration (${durationDays} days)`,
      );
    }
    if (m.requiresExplicitConsent === true && m.warning === undefined) {
      // Explicit consent means consent to a stated risk: without the warning there is nothing to state.
      throw new PolicyError(`${at}/warning: a measure that requires explicit consent needs a warning to explain`);
    }
    const measure: Measure = {
      code: m.code,
      category: m.category,
      label: Object.freeze({ ...m.label }),
      implementers: Object.freeze(implementers),
      durationDays,
      maxDurationDays,
      reviewLeadDays,
      ...(m.warning === undefined ? {} : { warning: Object.freeze({ ...m.warning }) }),
      requiresExplicitConsent: m.requiresExplicitConsent === true,
    };
    byCode.set(m.code, Object.freeze(measure));
  });

  const measures = Object.freeze([...byCode.values()]);
  return Object.freeze({
    measures,
    measureByCode: (code: string) => byCode.get(code),
    measuresIn: (category: MeasureCategory) => measures.filter((m) => m.category === category),
  });
}

export function loadMeasureCatalogue(policiesDir: string): MeasureCatalogue {
  return loadPolicyFile(policiesDir, 'measures.yaml', parseMeasureCatalogue);
}

/**
 * policies/measures.yaml for the configured policies directory, resolved as app.ts resolves the
 * others. Loaded once when the services are built, so a malformed catalogue stops the start.
 */
/** Shorthand for catalogue.measureByCode, for callers that hold the catalogue as a value. */
export function measureByCode(catalogue: MeasureCatalogue, code: string): Measure | undefined {
  return catalogue.measureByCode(code);
}
