// Synthetic support tickets for the demo classifier: templates with slots, filled by a seeded PRNG.
import { createRng, type Rng } from './prng.js';

export const TICKET_LABELS = ['billing', 'technical', 'account', 'shipping'] as const;
export type TicketLabel = (typeof TICKET_LABELS)[number];

export interface LabelledText {
  text: string;
  label: string;
}

const SLOTS: Record<string, readonly string[]> = {
  plan: ['pro', 'premium', 'basic', 'annual', 'monthly', 'team'],
  amount: ['$20', '$49.99', '15 euros', '$120', 'ten dollar', '$9'],
  month: ['January', 'March', 'June', 'September', 'November', 'last month'],
  action: ['open the dashboard', 'upload a file', 'export a report', 'start the app', 'save my settings'],
  code: ['500', '404', '503', 'timeout', 'E42', 'null pointer'],
  component: ['dashboard', 'settings', 'search', 'export', 'upload', 'reports'],
  device: ['iPhone', 'Android phone', 'laptop', 'Windows PC', 'Mac', 'tablet'],
  name: ['Alice', 'Bob', 'Priya', 'Chen', 'Maria', 'Omar'],
  order: ['#10423', '#88812', 'A-5531', '#20019', 'B-7702', '#31337'],
  day: ['Monday', 'Tuesday', 'last week', 'Friday', 'yesterday', 'the weekend'],
  item: ['headphones', 'chair', 'monitor', 'keyboard', 'lamp', 'backpack'],
  country: ['Canada', 'Germany', 'Japan', 'Brazil', 'Australia', 'France'],
};

// The last two templates of each class appear only in the evaluation set, so it measures
// generalisation to unseen phrasings rather than recall of training sentences.
const TEMPLATES: Record<TicketLabel, readonly string[]> = {
  billing: [
    'I was charged twice for my {plan} subscription',
    'Why is there an extra {amount} fee on my invoice',
    'Please refund the {amount} charge from {month}',
    'My credit card payment for the {plan} plan failed',
    'Can I get a copy of my invoice for {month}',
    'The billing amount on my statement looks wrong, I expected {amount}',
    'How do I update the payment method for my {plan} plan',
    'I want my money back, you billed me {amount} after I cancelled',
  ],
  technical: [
    'The app crashes when I {action}',
    'I get an error {code} when I {action}',
    'The {component} page will not load on my {device}',
    'Sync stopped working on my {device} after the latest update',
    'The {component} is very slow and keeps showing {code}',
    'Is the API down? Requests return {code}',
    'Bug: the {component} button does nothing on my {device}',
    'Since the update I see a blank screen when I {action}',
  ],
  account: [
    'I forgot my password and cannot log in',
    'How do I change the email address on my account',
    'Please delete my account and personal data',
    'I am locked out of my account after too many login attempts',
    'Can you reset the two factor authentication on my profile',
    'I want to change my username to {name}',
    'How do I add a new user {name} to our team account',
    'Someone else may have access to my profile, please secure my login',
  ],
  shipping: [
    'My order {order} has not arrived yet',
    'Where is my package? Tracking shows no update since {day}',
    'The parcel with my {item} was delivered to the wrong address',
    'Can I change the delivery address for order {order}',
    'My {item} arrived damaged in the box',
    'How long does shipping to {country} take',
    'The courier lost my package with the {item}',
    'I need express delivery for order {order} to {country}',
  ],
};

const OPENERS = ['', '', 'Hi,', 'Hello,', 'Hey team,', 'Good morning,', 'Urgent:', 'Quick question:'];
const CLOSERS = ['', '', 'Thanks.', 'Please help.', 'Thank you!', 'Any update?', 'This is frustrating.'];
const TRAIN_TEMPLATES = 6;

function fill(template: string, rng: Rng): string {
  const filled = template.replace(/\{(\w+)\}/g, (_, slot: string) => rng.pick(SLOTS[slot] ?? [slot]));
  const body = filled.endsWith('?') ? filled : `${filled}.`;
  return [rng.pick(OPENERS), body, rng.pick(CLOSERS)].filter(Boolean).join(' ');
}

function sample(rng: Rng, perLabel: number, templateCount: number, exclude: ReadonlySet<string>): LabelledText[] {
  const out: LabelledText[] = [];
  for (let i = 0; i < perLabel; i++) {
    for (const label of TICKET_LABELS) {
      const templates = TEMPLATES[label].slice(0, templateCount);
      let text = fill(rng.pick(templates), rng);
      // Bounded retries: a few template/slot combinations are too small to avoid every repeat.
      for (let tries = 0; exclude.has(text) && tries < 20; tries++) text = fill(rng.pick(templates), rng);
      out.push({ text, label });
    }
  }
  return out;
}

/** Training tickets (seen templates only) and an evaluation set drawn with another seed from all templates, without exact repeats of training texts. */
export function generateTickets(seed: number, trainPerLabel = 120, evalPerLabel = 30): { train: LabelledText[]; evalSet: LabelledText[] } {
  const train = sample(createRng(seed), trainPerLabel, TRAIN_TEMPLATES, new Set());
  const seen = new Set(train.map((t) => t.text));
  const evalSet = sample(createRng(seed ^ 0x5eed), evalPerLabel, Infinity, seen);
  return { train, evalSet };
}
