mod period;
mod rules;
