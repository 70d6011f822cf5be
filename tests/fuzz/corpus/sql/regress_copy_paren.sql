--
-- PostgreSQL database dump
--
CREATE TABLE public.customers (
    id integer,
    phone text,
    note text
);
COPY public.customers (id, phone, note) FROM stdin;
1	13812345678	ok
(2)	13912345678	x
(3, 4)	13712345679	y
\.
