// What the audited-ballot checker shows, without the DOM (so node can test it).
//
// verdictOf(result, contests, strings) turns checkAudit's result into
// {ok, message, choices}: `choices` lists, per contest (manifest order, with
// titles), each option's title and whether the audit opened it as selected.

export function format(template, values = {}) {
  return String(template).replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));
}

export function verdictOf(result, contests, strings) {
  if (result.reason !== null) {
    return {
      ok: false,
      message: format(strings.failed, { reason: result.reason, detail: result.detail }),
      choices: [],
    };
  }
  const choices = contests.map((contest) => {
    const opened = result.choices[contest.contest_id] ?? [];
    return {
      title: contest.title,
      options: contest.options.map((option, position) => ({
        title: option.title,
        selected: opened[position] === 1,
      })),
    };
  });
  return { ok: true, message: strings.matches, choices };
}
