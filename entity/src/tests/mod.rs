mod accumulation;
mod benchmark;
mod escalation;
mod improvement;
mod period;
mod rules;
