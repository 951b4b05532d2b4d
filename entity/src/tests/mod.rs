mod escalation;
mod period;
mod rules;
