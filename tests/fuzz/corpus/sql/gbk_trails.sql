/*!40101 SET NAMES gbk */;
CREATE TABLE `Å`t` (`’\` varchar(8), `nÅ`` int, PRIMARY KEY (`nÅ``));
INSERT INTO `Å`t` VALUES ('’\','a\'b–\'),('Å\',"Å`Å]");
INSERT INTO [Å]t] (cÅ@d, `eÅ``) VALUES ('Å\', 'q'),(2, 'Ä\'ˇ');
INSERT INTO t3 VALUES (1) ON DUPLICATE KEY UPDATE n='Å\;', m=Å`;
INSERT ÅINTO INTO t5 VALUES ('Å0Å\', 'after'),(6);
