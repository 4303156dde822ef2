DROP TABLE annotation_replies;
DROP TABLE annotations;
