mod benchmark;
mod escalation;
mod improvement;
mod margins;
mod period;
mod quality;
mod rules;
