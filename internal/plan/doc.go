// Package plan generates customers' service plans (服务方案) from
// declarative rules and keeps them, and the tasks that carry their steps,
// current.
//
// A rule (PlanRule, stored and versioned data that admins edit) holds when
// all its conditions hold; each condition compares a fact of the catalogue
// below with a value. A rule whose facts or due event are per policy is
// evaluated once per policy (one step per matching policy), per complaint
// likewise; policy and complaint facts cannot be mixed in one rule. The
// step is due offset_days after a date event, counted on the agent's
// calendar; due_at is the local midnight that starts the due day.
//
// Operators: numbers take eq, ne, lt, lte, gt, gte, in (an array) and
// exists; strings eq, ne, in, exists (enumerated facts only their values);
// lists (sets of strings) eq "contains", ne "does not contain", in
// "contains any of", exists; booleans eq, ne, exists. A fact can be absent
// (the age of a customer without a birth date): then only exists can hold
// (value false). Day counts are 0 on the day and negative once past.
//
// # Facts
//
//	fact                                          type    scope     meaning
//	claims.count                                  number  customer  claims filed
//	claims.open_count                             number  customer  claims not yet paid or closed
//	claims.years_without_claim_family             number  customer  whole years without a claim on the customer's (household's) policies; absent without policies
//	complaint.category                            string  complaint complaint category (claim_timeliness, service_attitude, sales_misconduct, policy_terms, billing, other)
//	complaint.days_open                           number  complaint days since the complaint was received
//	complaint.open                                bool    complaint not yet resolved or closed
//	complaint.severity                            string  complaint complaint severity (low, medium, high, critical)
//	complaint.status                              string  complaint complaint status (received, acknowledged, investigating, resolved, closed, escalated)
//	complaints.claim_timeliness_count             number  customer  complaints about claim timeliness, ever
//	complaints.open_by_category.<category>        number  customer  open complaints in the category (one fact per complaint category)
//	complaints.open_count                         number  customer  complaints not yet resolved or closed
//	customer.age                                  number  customer  whole years since the birth date (absent without one)
//	customer.birthday_in_days                     number  customer  days until the next birthday, 0 on the day (29 February: 28 February in common years); absent without a birth date
//	customer.children_count                       number  customer  number of children
//	customer.consent_push                         bool    customer  the customer agreed to push reminders
//	customer.days_since_last_contact              number  customer  days since the latest interaction (since the customer was created when there is none)
//	customer.dependants                           number  customer  number of other dependants
//	customer.gender                               string  customer  gender (male, female, other, unknown)
//	customer.has_spouse                           bool    customer  the household has a spouse
//	customer.income_band                          string  customer  income band (low, lower_middle, middle, upper_middle, high, unknown)
//	customer.life_stage                           string  customer  life stage as the portrait derives it (single, married, young_family, mature_family, empty_nest, retired, unknown)
//	customer.preferred_channel                    string  customer  preferred contact channel (phone, visit, wechat, app, email, branch)
//	customer.risk_preference                      string  customer  risk preference (conservative, balanced, aggressive, unknown)
//	customer.tags                                 list    customer  the customer's tags
//	policy.anniversary_in_days                    number  policy    days until the next anniversary of the start date (0 on the day)
//	policy.annual_premium_cents                   number  policy    annualised premium, in fen
//	policy.days_since_start                       number  policy    days since the start date (negative before it)
//	policy.hesitation_days_left                   number  policy    days left in the cooling-off period (犹豫期) counted from the start date; negative after it
//	policy.line                                   string  policy    line of business (life, health, critical_illness, accident, property, auto, annuity)
//	policy.missed_payments                        number  policy    premiums missed
//	policy.next_premium_due_in_days               number  policy    days until the next premium is due; absent without a due date
//	policy.payment_frequency                      string  policy    payment frequency (annual, semiannual, quarterly, monthly, single)
//	policy.product_code                           string  policy    product code
//	policy.renewal_in_days                        number  policy    days until the renewal date; absent without one
//	policy.status                                 string  policy    policy status (active, grace, lapsed, terminated)
//	portrait.active_policy_count                  number  customer  policies in force (active or grace)
//	portrait.annual_premium_cents                 number  customer  annualised premium in force, in fen
//	portrait.churn_risk_level                     string  customer  churn-risk band (low, medium, high)
//	portrait.churn_risk_score                     number  customer  churn-risk score in [0, 1]
//	portrait.coverage_gap_count                   number  customer  number of coverage gaps
//	portrait.coverage_gap_lines                   list    customer  lines of the coverage gaps (life, health, critical_illness, accident, property, auto, annuity)
//	portrait.lines_held                           list    customer  lines with a policy in force (life, health, critical_illness, accident, property, auto, annuity)
//
// # Due events
//
//	event                            scope     date
//	now                              customer  the day the step first appears; the step keeps that due date
//	customer.next_birthday           customer  the next birthday, today included (29 February: 28 February in common years)
//	customer.last_contact_date       customer  the day of the latest interaction (the customer's creation when none)
//	claims.no_claim_milestone_date   customer  the day the current count of claim-free years was reached
//	policy.next_premium_due_date     policy    the next premium due date
//	policy.renewal_date              policy    the renewal date
//	policy.start_date                policy    the start date
//	policy.anniversary_date          policy    the next anniversary of the start date, today included
//	policy.hesitation_end_date       policy    the last day of the cooling-off period (start + the product's hesitation days, 15 by default)
//	complaint.received_date          complaint the day the complaint was received
//	complaint.ack_due_date           complaint the acknowledgement deadline's day (SLA: 24 h)
//	complaint.answer_due_date        complaint the answer deadline's day (SLA: 2 working days)
//	complaint.close_due_date         complaint the closing deadline's day (SLA: 7 working days)
//
// # Plans, steps and tasks
//
// A step's identity is its dedupe key: the rule key, the policy or
// complaint, and the date of the event it answers ("premium-due-3d/p:…@
// 2026-03-20"), so the same premium due date is one step however often the
// plan is regenerated, and the next due date a new one. Regeneration
// (Regenerate, Reconcile) keeps the identity and task of the steps that
// still apply, adds the new ones with a todo Task each, withdraws the open
// steps that no longer apply (deleting their tasks: tombstones for sync)
// and keeps done and skipped steps as history. The ServicePlan record —
// what the service_plans collection syncs — is written only when a step
// changed; its rules_version is the rule set of that write and its
// inputs_hash digests the steps the rules asked for.
//
// Every rule change bumps the rules version (ServerMeta
// plan_rules_version); the Recomputer then sweeps the book in the
// background, as it does each new day and whenever the published toolkit
// changes, and between sweeps recomputes only the customers whose inputs
// the change log shows changed.
package plan
