mod benchmark;
mod escalation;
mod period;
mod rules;
